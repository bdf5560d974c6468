//! Charts drawn on the server as inline SVG (no script, no library): bars for counts
//! (results by category, deviations by kind, list entries by year and list) and the
//! case timeline against the working-day calendar. Every label is escaped.

use chrono::NaiveDate;
use jianxin_domain::calendar::WorkingCalendar;

use super::html::esc;

/// Horizontal bars, one per `(label, count)`, with the count written at the bar's end.
pub fn bars(id: &str, caption: &str, rows: &[(String, u64)]) -> String {
    if rows.is_empty() {
        return format!(
            "<p class=\"muted\" id=\"{}\">{}: —</p>",
            esc(id),
            esc(caption)
        );
    }
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let row_h = 26;
    let label_w = 230;
    let bar_w = 380;
    let height = rows.len() * row_h + 10;
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption>\
<svg id=\"{}\" role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        esc(caption),
        esc(id),
        esc(caption),
        label_w + bar_w + 60,
        label_w + bar_w + 60,
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = i * row_h + 5;
        let w = (*n as usize * bar_w) / max as usize;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>\
<rect x=\"{label_w}\" y=\"{y}\" width=\"{}\" height=\"{}\" class=\"bar\"><title>{}: {n}</title></rect>\
<text x=\"{}\" y=\"{}\" class=\"count\">{n}</text>",
            label_w - 8,
            y + 17,
            esc(label),
            w.max(1),
            row_h - 8,
            esc(label),
            label_w + w + 6,
            y + 17,
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// One step on the case timeline.
pub struct Mark {
    /// The day (China time) the step was recorded.
    pub day: NaiveDate,
    /// Its deadline, if it had one.
    pub deadline: Option<NaiveDate>,
    /// Whether the deadline was met.
    pub met: Option<bool>,
    /// The step's name.
    pub label: String,
    /// A deviation was found at this step.
    pub deviates: bool,
}

/// The case's days from the first step to the last step or deadline, non-working days
/// shaded from `calendar`, each step a dot (red when it deviates), each deadline a line
/// (green when met, red when missed).
pub fn timeline(marks: &[Mark], calendar: &WorkingCalendar) -> String {
    let Some(first) = marks.iter().map(|m| m.day).min() else {
        return String::new();
    };
    let last = marks
        .iter()
        .flat_map(|m| [Some(m.day), m.deadline])
        .flatten()
        .max()
        .unwrap_or(first);
    let days = (last - first).num_days().clamp(0, 730) as usize + 1;
    let day_w = (900 / days).clamp(2, 24);
    let width = days * day_w + 20;
    let height = 60 + marks.len() * 18;
    let mut svg = format!(
        "<svg id=\"case-timeline\" class=\"timeline\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    for d in 0..days {
        let day = first + chrono::Duration::days(d as i64);
        if matches!(calendar.is_working_day(day), Ok(false)) {
            svg.push_str(&format!(
                "<rect x=\"{}\" y=\"0\" width=\"{day_w}\" height=\"{height}\" class=\"offday\"><title>{day}</title></rect>",
                10 + d * day_w
            ));
        }
    }
    let x_of = |day: NaiveDate| 10 + (day - first).num_days().max(0) as usize * day_w + day_w / 2;
    for (i, m) in marks.iter().enumerate() {
        let y = 30 + i * 18;
        if let Some(deadline) = m.deadline {
            let class = if m.met == Some(false) {
                "missed"
            } else {
                "met"
            };
            svg.push_str(&format!(
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" class=\"span\"/>\
<line x1=\"{x2}\" y1=\"{y0}\" x2=\"{x2}\" y2=\"{y1}\" class=\"deadline {class}\"><title>{}: {deadline}</title></line>",
                esc(&m.label),
                x1 = x_of(m.day),
                x2 = x_of(deadline),
                y0 = y - 7,
                y1 = y + 7,
            ));
        }
        let class = if m.deviates { "step deviates" } else { "step" };
        svg.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{y}\" r=\"5\" class=\"{class}\" data-step=\"{}\"><title>{} {}</title></circle>",
            x_of(m.day),
            i + 1,
            esc(&m.label),
            m.day
        ));
    }
    svg.push_str(&format!(
        "<text x=\"10\" y=\"16\" class=\"label\">{first}</text><text x=\"{}\" y=\"16\" text-anchor=\"end\" class=\"label\">{last}</text></svg>",
        width - 10
    ));
    svg
}
