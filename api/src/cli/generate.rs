//! `jianxin demo generate`: synthetic directory files — subjects, inspectors and
//! inspection items — for load tests, benchmarks and demos.
//!
//! The files look like what departments hand over (Chinese headers as in
//! `docs/samples/`) and import cleanly: every USCC carries its check character and is
//! unique, regions are county codes of the default division table, and the proportions
//! of kinds, statuses and risk classes are plausible. The same seed always gives the same
//! bytes: randomness is ChaCha20 (`rand_chacha`, an algorithm fixed by its RFC) read as
//! raw `u64`s through [`below`], never through `rand`'s sampling helpers, whose output may
//! change between versions. Rows stream through a `BufWriter`, so ten million subjects
//! take the same memory as ten.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Days, Months, NaiveDate};
use jianxin_domain::identifiers::{DivisionLevel, DivisionTable, Uscc, USCC_ALPHABET};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use super::args::GenerateArgs;
use super::output::print;
use super::{CliError, Format};

/// Positions 11-16 of a generated USCC come from a counter through a bijection of
/// `0..31^6`, so this many subjects have distinct codes.
const MAX_SUBJECTS: u64 = 31u64.pow(6);

/// Items are kept in memory (inspectors are drawn to match them), so their number is
/// bounded; real item lists hold tens to hundreds of entries.
const MAX_ITEMS: u64 = 1_000_000;

/// An odd multiplier not divisible by 31: `i ↦ (i·M + offset) mod 31^6` is a bijection,
/// which scatters consecutive counters over the code space.
const SCRAMBLE: u64 = 387_420_489;

/// Header rows, as in `docs/samples/`.
#[rustfmt::skip]
const SUBJECT_HEADER: [&str; 9] = [
    "统一社会信用代码", "企业名称", "类型", "行业", "所属区域", "成立日期", "登记状态", "信用风险分类", "监管标签",
];
#[rustfmt::skip]
const INSPECTOR_HEADER: [&str; 10] = [
    "执法人员编号", "姓名", "所属部门", "巡查区域", "执法证号", "发证日期", "有效期至", "资格", "是否专家", "人员状态",
];
#[rustfmt::skip]
const ITEM_HEADER: [&str; 9] = [
    "事项编码", "事项名称", "抽查依据", "抽查主体", "抽查对象", "抽查比例", "抽查频次", "检查方式", "检查人员要求",
];

/// Subject kinds in per-mille: mostly enterprises and individual businesses. Each has its
/// USCC positions 1-2 (registration department and kind).
#[rustfmt::skip]
const KINDS: &[(Kind, u64)] = &[
    (Kind::Enterprise, 560), (Kind::Individual, 380), (Kind::Cooperative, 30),
    (Kind::Social, 15), (Kind::Institution, 10), (Kind::Other, 5),
];
const STATUSES: &[(&str, u64)] = &[("存续", 880), ("吊销", 45), ("注销", 65), ("迁出", 10)];
const RISKS: &[(&str, u64)] = &[("A", 400), ("B", 450), ("C", 120), ("D", 30)];
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "重点企业", "食品经营", "特种设备", "电子商务", "产品质量", "药品经营", "危险化学品", "广告发布", "小微企业", "外资企业",
];
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高",
    "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
#[rustfmt::skip]
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀",
    "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "鹏",
];
/// Characters of trade names (字号).
#[rustfmt::skip]
const TRADE: &[&str] = &[
    "华", "恒", "鑫", "盛", "达", "源", "泰", "丰", "瑞", "安", "信", "德", "和", "兴", "嘉", "宏", "金", "新",
    "正", "明", "天", "远", "博", "通", "海", "龙", "顺", "利", "元", "凯",
];
const FORMS: &[(&str, u64)] = &[("有限公司", 80), ("有限责任公司", 12), ("股份有限公司", 8)];

/// GB/T 4754-2017 codes with the word a name uses for them, per kind.
#[rustfmt::skip]
const ENTERPRISE_TRADES: &[(&str, &str)] = &[
    ("C1311", "粮油"), ("C1713", "纺织"), ("C1952", "鞋业"), ("C2438", "工艺品"), ("C3311", "金属制品"),
    ("C3484", "机械"), ("C3971", "电子"), ("E4710", "建设"), ("F5123", "农产品贸易"), ("F5137", "贸易"),
    ("F5261", "汽车销售"), ("G5430", "物流"), ("I6421", "网络科技"), ("I6510", "科技"), ("K7020", "物业管理"),
    ("L7212", "投资管理"), ("M7320", "工程技术"), ("R8710", "文化传媒"),
];
#[rustfmt::skip]
const SHOP_TRADES: &[(&str, &str)] = &[
    ("H6210", "餐饮店"), ("H6220", "小吃店"), ("F5211", "便利店"), ("F5223", "水果店"), ("F5232", "服装店"),
    ("F5274", "五金店"), ("O8051", "理发店"), ("O8010", "家政服务部"), ("O8111", "汽车维修部"),
];
#[rustfmt::skip]
const COOP_TRADES: &[(&str, &str)] = &[
    ("A0111", "水稻"), ("A0141", "果蔬"), ("A0164", "茶叶"), ("A0313", "生猪养殖"), ("A0412", "水产养殖"),
];
#[rustfmt::skip]
const SOCIAL_TRADES: &[(&str, &str)] = &[
    ("S9521", "个体劳动者协会"), ("S9521", "餐饮行业协会"), ("S9522", "科学技术协会"), ("S9530", "慈善基金会"),
    ("S9542", "民营企业商会"),
];
#[rustfmt::skip]
const INSTITUTION_TRADES: &[(&str, &str)] = &[
    ("Q8411", "人民医院"), ("Q8431", "疾病预防控制中心"), ("P8341", "第一中学"), ("R8831", "图书馆"),
    ("N7721", "环境监测站"),
];
const OTHER_TRADES: &[(&str, &str)] = &[("L7221", "经营部"), ("O8090", "服务部")];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Enterprise,
    Individual,
    Cooperative,
    Social,
    Institution,
    Other,
}

impl Kind {
    fn chinese(self) -> &'static str {
        match self {
            Kind::Enterprise => "企业",
            Kind::Individual => "个体工商户",
            Kind::Cooperative => "农民专业合作社",
            Kind::Social => "社会组织",
            Kind::Institution => "事业单位",
            Kind::Other => "其他",
        }
    }

    /// USCC positions 1-2: 9x market regulation (1 enterprise, 2 individual business,
    /// 3 cooperative), 5x civil affairs, 12 public institution, Y1 other.
    fn uscc_prefix(self, rng: &mut ChaCha20Rng) -> &'static str {
        match self {
            Kind::Enterprise => "91",
            Kind::Individual => "92",
            Kind::Cooperative => "93",
            Kind::Social => ["51", "52", "53"][below(rng, 3) as usize],
            Kind::Institution => "12",
            Kind::Other => "Y1",
        }
    }

    fn trades(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Enterprise => ENTERPRISE_TRADES,
            Kind::Individual => SHOP_TRADES,
            Kind::Cooperative => COOP_TRADES,
            Kind::Social => SOCIAL_TRADES,
            Kind::Institution => INSTITUTION_TRADES,
            Kind::Other => OTHER_TRADES,
        }
    }
}

/// Departments (`<prefecture>-<ABBR>`) with their weight and the qualifications their
/// inspectors hold.
#[rustfmt::skip]
const DEPARTMENTS: &[(&str, u64, &[&str])] = &[
    ("SCJG", 70, &["食品安全", "产品质量", "特种设备", "计量", "广告监管", "药品", "价格监督"]),
    ("WSJK", 8, &["公共卫生", "医疗服务"]), ("YJGL", 10, &["安全生产", "危险化学品"]), ("STHJ", 7, &["环境监察"]),
    ("MZ", 5, &["社会组织管理"]),
];

/// One template of the inspection item list: the columns of `items.csv` but the code
/// and the department's prefecture.
struct ItemTemplate {
    name: &'static str,
    basis: &'static str,
    department: &'static str,
    targets: &'static str,
    ratio: &'static str,
    frequency: &'static str,
    method: &'static str,
    qualification: &'static str,
}

#[allow(clippy::too_many_arguments)] // one table row, named by the struct
const fn item(
    name: &'static str,
    basis: &'static str,
    department: &'static str,
    targets: &'static str,
    ratio: &'static str,
    frequency: &'static str,
    method: &'static str,
    qualification: &'static str,
) -> ItemTemplate {
    ItemTemplate {
        name,
        basis,
        department,
        targets,
        ratio,
        frequency,
        method,
        qualification,
    }
}

#[rustfmt::skip]
const ITEMS: &[ItemTemplate] = &[
    item("企业公示信息抽查", "《企业信息公示暂行条例》", "SCJG", "企业;农民专业合作社", "5%", "1", "书面检查", ""),
    item("食品经营许可事项检查", "《中华人民共和国食品安全法》", "SCJG", "企业;个体工商户", "3%", "1", "现场检查", "食品安全"),
    item("工业产品质量监督抽查", "《中华人民共和国产品质量法》", "SCJG", "企业", "2.5%", "2", "检验检测", "产品质量"),
    item("特种设备使用单位检查", "《中华人民共和国特种设备安全法》", "SCJG", "企业;事业单位", "5%", "1", "现场检查", "特种设备"),
    item("计量器具使用情况检查", "《中华人民共和国计量法》", "SCJG", "企业;个体工商户", "2%", "1", "现场检查", "计量"),
    item("网络交易经营者检查", "《中华人民共和国电子商务法》", "SCJG", "企业;个体工商户", "3%", "1", "网络监测", ""),
    item("广告发布行为检查", "《中华人民共和国广告法》", "SCJG", "企业", "2%", "1", "网络监测", "广告监管"),
    item("药品经营质量管理检查", "《中华人民共和国药品管理法》", "SCJG", "企业", "5%", "2", "现场检查", "药品"),
    item("明码标价检查", "《中华人民共和国价格法》", "SCJG", "企业;个体工商户", "1.5%", "1", "现场检查", "价格监督"),
    item("公共场所卫生监督检查", "《公共场所卫生管理条例》", "WSJK", "企业;个体工商户", "5%", "1", "现场检查", "公共卫生"),
    item("安全生产检查", "《中华人民共和国安全生产法》", "YJGL", "企业", "5%", "2", "现场检查", "安全生产"),
    item("排污许可执行情况检查", "《排污许可管理条例》", "STHJ", "企业;事业单位", "5%", "1", "现场检查", "环境监察"),
    item("社会组织年度工作检查", "《社会团体登记管理条例》", "MZ", "社会组织", "5%", "1", "书面检查", ""),
];

/// A number in `0..n` from raw `u64`s, without modulo bias: draws in the top partial
/// block of `2^64 mod n` values are rejected and redrawn.
fn below(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let rejected = n.wrapping_neg() % n; // 2^64 mod n
    loop {
        let x = rng.next_u64();
        if x >= rejected {
            return x % n;
        }
    }
}

/// One of `items`.
fn pick<'a, T>(rng: &mut ChaCha20Rng, items: &'a [T]) -> &'a T {
    &items[below(rng, items.len() as u64) as usize]
}

/// One of `items` with probability proportional to its weight.
fn weighted<'a, T>(rng: &mut ChaCha20Rng, items: &'a [(T, u64)]) -> &'a T {
    let total = items.iter().map(|(_, w)| w).sum();
    let mut x = below(rng, total);
    for (item, weight) in items {
        if x < *weight {
            return item;
        }
        x -= weight;
    }
    &items[items.len() - 1].0
}

/// `true` with probability `per_mille`/1000.
fn chance(rng: &mut ChaCha20Rng, per_mille: u64) -> bool {
    below(rng, 1000) < per_mille
}

/// A date in `[from, to]`.
fn date_between(rng: &mut ChaCha20Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = u64::try_from((to - from).num_days()).unwrap_or(0) + 1;
    from + Days::new(below(rng, span))
}

/// The generator of one file: a ChaCha20 stream of its own per file, so the subjects
/// do not change when only `--inspectors` does.
fn rng_for(seed: u64, stream: u64) -> ChaCha20Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha20Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The counties of the default division table and the prefectures above them.
struct Geography {
    /// County code and name, in code order.
    counties: Vec<(String, String)>,
    /// Prefecture code and the indexes of its counties, for prefectures that have any.
    prefectures: Vec<(String, Vec<usize>)>,
}

impl Geography {
    fn load() -> Geography {
        let table = DivisionTable::default_table();
        let mut counties = Vec::new();
        let mut prefectures: Vec<(String, Vec<usize>)> = Vec::new();
        for division in table.iter() {
            if division.level != DivisionLevel::County {
                continue;
            }
            let index = counties.len();
            counties.push((division.code.as_str().to_owned(), division.name.clone()));
            if let Some(parent) = &division.parent {
                match prefectures
                    .iter_mut()
                    .find(|(code, _)| code == parent.as_str())
                {
                    Some((_, list)) => list.push(index),
                    None => prefectures.push((parent.as_str().to_owned(), vec![index])),
                }
            }
        }
        Geography {
            counties,
            prefectures,
        }
    }
}

/// The name of a county without its 区/县/市/旗, as a name prefix (西湖区 → 西湖).
fn short_place(name: &str) -> &str {
    match name.char_indices().last() {
        Some((at, c)) if name.chars().count() > 2 && "区县市旗".contains(c) => &name[..at],
        _ => name,
    }
}

fn person_name(rng: &mut ChaCha20Rng) -> String {
    let mut name = String::from(*pick(rng, SURNAMES));
    name.push_str(pick::<&str>(rng, GIVEN));
    if chance(rng, 600) {
        name.push_str(pick::<&str>(rng, GIVEN));
    }
    name
}

/// USCC positions 9-17 for counter `i`: `MA`, six characters of the scrambled counter,
/// and the GB 11714 organisation code check character over positions 9-16.
fn subject_code(i: u64, offset: u64) -> String {
    let alphabet = USCC_ALPHABET.as_bytes();
    let mut x = (i % MAX_SUBJECTS)
        .wrapping_mul(SCRAMBLE % MAX_SUBJECTS)
        .wrapping_add(offset)
        % MAX_SUBJECTS;
    let mut tail = ['0'; 6];
    for slot in tail.iter_mut().rev() {
        *slot = char::from(alphabet[(x % 31) as usize]);
        x /= 31;
    }
    let mut code = String::from("MA");
    code.extend(tail);
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = code
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    code.push(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    });
    code
}

/// What one file holds after writing.
#[derive(Debug, Serialize)]
struct Written {
    kind: &'static str,
    path: String,
    rows: u64,
    bytes: u64,
}

/// The JSON output.
#[derive(Debug, Serialize)]
struct Generated {
    seed: u64,
    files: Vec<Written>,
    elapsed_ms: u64,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Infra(format!("{}: {e}", path.display()))
}

/// A CSV writer over a buffered file: `\n` line endings, quoting only when needed.
fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>, CliError> {
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(BufWriter::with_capacity(1 << 20, file)))
}

fn finish(
    kind: &'static str,
    path: &Path,
    rows: u64,
    mut w: csv::Writer<BufWriter<File>>,
) -> Result<Written, CliError> {
    w.flush().map_err(|e| io_error(path, e))?;
    let inner = w.into_inner().map_err(|e| io_error(path, e.error()))?;
    let file = inner.into_inner().map_err(|e| io_error(path, e.error()))?;
    file.sync_all().map_err(|e| io_error(path, e))?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    Ok(Written {
        kind,
        path: path.display().to_string(),
        rows,
        bytes,
    })
}

/// Writes `n` subjects to `path`.
fn write_subjects(path: &Path, n: u64, seed: u64, geo: &Geography) -> Result<Written, CliError> {
    let mut rng = rng_for(seed, 1);
    let offset = below(&mut rng, MAX_SUBJECTS);
    let mut w = csv_writer(path)?;
    let err = |e: csv::Error| io_error(path, e);
    w.write_record(SUBJECT_HEADER).map_err(err)?;
    let (first, last) = (ymd(1995, 1, 1), ymd(2025, 12, 31));
    let span = u64::try_from((last - first).num_days()).unwrap_or(0) + 1;
    for i in 0..n {
        let kind = *weighted(&mut rng, KINDS);
        let (region, county) = pick(&mut rng, &geo.counties);
        let first17 = format!(
            "{}{}{}",
            kind.uscc_prefix(&mut rng),
            region,
            &subject_code(i, offset)[..9]
        );
        let check = Uscc::check_character(&first17)
            .map_err(|e| CliError::Infra(format!("generated code {first17}: {e}")))?;
        let uscc = format!("{first17}{check}");
        let (industry, word) = pick(&mut rng, kind.trades());
        let place = short_place(county);
        let name = match kind {
            Kind::Enterprise | Kind::Other => format!(
                "{place}{}{}{word}{}",
                pick(&mut rng, TRADE),
                pick(&mut rng, TRADE),
                if matches!(kind, Kind::Other) {
                    ""
                } else {
                    weighted(&mut rng, FORMS)
                }
            ),
            Kind::Individual => format!("{county}{}{word}", person_name(&mut rng)),
            Kind::Cooperative => format!(
                "{place}{}{}{word}专业合作社",
                pick(&mut rng, TRADE),
                pick(&mut rng, TRADE)
            ),
            Kind::Social | Kind::Institution => format!("{county}{word}"),
        };
        // more recent registrations than old ones: the later of two uniform days
        let day = below(&mut rng, span).max(below(&mut rng, span));
        let registered = (first + Days::new(day)).format("%Y-%m-%d").to_string();
        let status = weighted(&mut rng, STATUSES);
        let risk = weighted(&mut rng, RISKS);
        let tags = match below(&mut rng, 100) {
            0..=69 => String::new(),
            70..=94 => pick(&mut rng, TAGS).to_string(),
            _ => {
                let a = below(&mut rng, TAGS.len() as u64) as usize;
                let b = (a + 1 + below(&mut rng, TAGS.len() as u64 - 1) as usize) % TAGS.len();
                format!("{};{}", TAGS[a], TAGS[b])
            }
        };
        w.write_record([
            uscc.as_str(),
            &name,
            kind.chinese(),
            industry,
            region,
            &registered,
            status,
            risk,
            &tags,
        ])
        .map_err(err)?;
    }
    finish("subjects", path, n, w)
}

/// One generated item, remembered so that inspectors can be drawn to match it.
struct ItemDrawn {
    prefecture: usize,
    template: usize,
}

fn draw_items(k: u64, seed: u64, geo: &Geography) -> Vec<ItemDrawn> {
    let mut rng = rng_for(seed, 3);
    (0..k)
        .map(|i| ItemDrawn {
            prefecture: below(&mut rng, geo.prefectures.len() as u64) as usize,
            // every template once before any repeats
            template: if i < ITEMS.len() as u64 {
                i as usize
            } else {
                below(&mut rng, ITEMS.len() as u64) as usize
            },
        })
        .collect()
}

fn write_items(path: &Path, items: &[ItemDrawn], geo: &Geography) -> Result<Written, CliError> {
    let mut w = csv_writer(path)?;
    let err = |e: csv::Error| io_error(path, e);
    w.write_record(ITEM_HEADER).map_err(err)?;
    for (i, drawn) in items.iter().enumerate() {
        let t = &ITEMS[drawn.template];
        let prefecture = &geo.prefectures[drawn.prefecture].0;
        w.write_record([
            format!("{}-{:05}", t.department, i + 1).as_str(),
            t.name,
            t.basis,
            &format!("{prefecture}-{}", t.department),
            t.targets,
            t.ratio,
            t.frequency,
            t.method,
            t.qualification,
        ])
        .map_err(err)?;
    }
    finish("items", path, items.len() as u64, w)
}

fn write_inspectors(
    path: &Path,
    m: u64,
    seed: u64,
    items: &[ItemDrawn],
    geo: &Geography,
) -> Result<Written, CliError> {
    let mut rng = rng_for(seed, 2);
    let mut w = csv_writer(path)?;
    let err = |e: csv::Error| io_error(path, e);
    w.write_record(INSPECTOR_HEADER).map_err(err)?;
    for i in 0..m {
        // most inspectors work for the department of some item and hold its qualification
        let (prefecture, dept, mut qualifications) = if items.is_empty() || chance(&mut rng, 300) {
            let prefecture = below(&mut rng, geo.prefectures.len() as u64) as usize;
            let weights: Vec<(usize, u64)> = DEPARTMENTS
                .iter()
                .enumerate()
                .map(|(at, (_, w, _))| (at, *w))
                .collect();
            (prefecture, *weighted(&mut rng, &weights), Vec::new())
        } else {
            let drawn = pick(&mut rng, items);
            let t = &ITEMS[drawn.template];
            let dept = DEPARTMENTS
                .iter()
                .position(|(abbr, _, _)| *abbr == t.department)
                .unwrap_or(0);
            let held: Vec<&str> = Some(t.qualification)
                .filter(|q| !q.is_empty())
                .into_iter()
                .collect();
            (drawn.prefecture, dept, held)
        };
        let (abbr, _, pool) = DEPARTMENTS[dept];
        for _ in 0..below(&mut rng, 3) {
            let q = *pick(&mut rng, pool);
            if !qualifications.contains(&q) {
                qualifications.push(q);
            }
        }
        let (code, counties) = &geo.prefectures[prefecture];
        let mut areas: Vec<&str> = Vec::new();
        for _ in 0..=below(&mut rng, 3) {
            let county = geo.counties[*pick(&mut rng, counties)].0.as_str();
            if !areas.contains(&county) {
                areas.push(county);
            }
        }
        // about one certificate in eight has expired (issued six or more years ago)
        let issued = if chance(&mut rng, 120) {
            date_between(&mut rng, ymd(2013, 1, 1), ymd(2019, 6, 30))
        } else {
            date_between(&mut rng, ymd(2020, 1, 1), ymd(2025, 12, 31))
        };
        let expires = issued
            .checked_add_months(Months::new(72))
            .and_then(|d| d.pred_opt())
            .unwrap_or(issued);
        let status = weighted(&mut rng, &[("在岗", 900), ("暂停执法", 40), ("退出", 60)]);
        let expert = if chance(&mut rng, 80) { "是" } else { "否" };
        w.write_record([
            format!("{code}-{abbr}-{:07}", i + 1).as_str(),
            &person_name(&mut rng),
            &format!("{code}-{abbr}"),
            &areas.join(";"),
            &format!("{code}{}{:07}", issued.format("%Y"), i + 1),
            &issued.format("%Y-%m-%d").to_string(),
            &expires.format("%Y-%m-%d").to_string(),
            &qualifications.join(";"),
            expert,
            status,
        ])
        .map_err(err)?;
    }
    finish("inspectors", path, m, w)
}

/// Writes the three files into `dir`.
fn generate(args: &GenerateArgs) -> Result<Vec<Written>, CliError> {
    if args.subjects > MAX_SUBJECTS {
        return Err(CliError::Usage(format!(
            "--subjects {}: at most {MAX_SUBJECTS}",
            args.subjects
        )));
    }
    if args.items > MAX_ITEMS {
        return Err(CliError::Usage(format!(
            "--items {}: at most {MAX_ITEMS}",
            args.items
        )));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| io_error(&args.out, e))?;
    let geo = Geography::load();
    let path = |name: &str| -> PathBuf { args.out.join(name) };
    let items = draw_items(args.items, args.seed, &geo);
    Ok(vec![
        write_subjects(&path("subjects.csv"), args.subjects, args.seed, &geo)?,
        write_inspectors(
            &path("inspectors.csv"),
            args.inspectors,
            args.seed,
            &items,
            &geo,
        )?,
        write_items(&path("items.csv"), &items, &geo)?,
    ])
}

/// `jianxin demo generate`.
pub fn run(format: Format, args: GenerateArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let files = generate(&args)?;
    let generated = Generated {
        seed: args.seed,
        files,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    print(format, &generated, || {
        let mut s = String::new();
        for f in &generated.files {
            s.push_str(&format!(
                "wrote {}: {} {} rows, {} bytes\n",
                f.path, f.rows, f.kind, f.bytes
            ));
        }
        s.push_str(&format!(
            "seed {} in {:.1} s\n",
            generated.seed,
            started.elapsed().as_secs_f64()
        ));
        s
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{import_file, ImportOptions};
    use jianxin_domain::directory::import::{columns_markdown, ImportKind};
    use jianxin_domain::event_log::{Actor, Role};
    use jianxin_projections::{DbLocation, EventLog, FixedClock};

    fn args(out: &Path, seed: u64) -> GenerateArgs {
        GenerateArgs {
            subjects: 400,
            inspectors: 60,
            items: 15,
            out: out.to_path_buf(),
            seed,
        }
    }

    #[test]
    fn below_is_in_range_and_the_same_seed_gives_the_same_bytes() {
        let mut rng = rng_for(7, 0);
        for n in [1, 2, 3, 31, 1000, u64::MAX] {
            assert!((0..1000).all(|_| below(&mut rng, n) < n.max(1)));
        }
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        generate(&args(&a, 42)).unwrap();
        generate(&args(&b, 42)).unwrap();
        generate(&args(&c, 43)).unwrap();
        for name in ["subjects.csv", "inspectors.csv", "items.csv"] {
            let read = |d: &Path| std::fs::read(d.join(name)).unwrap();
            assert_eq!(read(&a), read(&b), "{name}");
        }
        let read = |d: &Path| std::fs::read(d.join("subjects.csv")).unwrap();
        assert_ne!(read(&a), read(&c));
    }

    #[test]
    fn subject_codes_are_unique_and_valid() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200_000 {
            let code = subject_code(i, 12345);
            assert!(seen.insert(code.clone()), "{code}");
            let first17 = format!("91330106{}", &code[..9]);
            let check = Uscc::check_character(&first17).unwrap();
            let uscc = Uscc::parse(&format!("{first17}{check}")).unwrap();
            assert_eq!(uscc.organisation_code_warning(), None);
        }
    }

    #[tokio::test]
    async fn generated_files_import_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("files");
        generate(&args(&out, 1)).unwrap();
        let log = EventLog::open(&DbLocation::Sqlite(dir.path().join("jianxin.db")))
            .await
            .unwrap();
        let clock = FixedClock::at("2026-03-02T08:30:00Z".parse().unwrap());
        let actor = Actor::new("generator-test", Role::Admin);
        for (kind, name, rows) in [
            (ImportKind::Items, "items.csv", 15),
            (ImportKind::Inspectors, "inspectors.csv", 60),
            (ImportKind::Subjects, "subjects.csv", 400),
        ] {
            let options = ImportOptions {
                kind,
                encoding: None,
                sheet: None,
                dry_run: false,
                effective: None,
                progress: false,
            };
            let imported = import_file(&log, &clock, &actor, &out.join(name), &options)
                .await
                .unwrap();
            assert!(imported.report.is_clean(), "{name}: {:?}", imported.report);
            assert_eq!(imported.report.summary().created, rows, "{name}");
        }
        log.database().close().await;
    }

    #[test]
    fn docs_import_md_lists_the_accepted_columns() {
        let doc = include_str!("../../../docs/IMPORT.md");
        for kind in ImportKind::ALL {
            assert!(
                doc.contains(&columns_markdown(kind)),
                "docs/IMPORT.md is out of date: paste columns_markdown({kind:?}) again"
            );
        }
    }
}
