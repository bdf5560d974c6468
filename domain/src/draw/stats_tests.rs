//! Statistical tests: over many seeds, every position of the pool (first, middle, last)
//! is drawn with the expected frequency. Systematic sampling from one random start fails
//! the same test (negative control), so the test has teeth. Seeds are fixed, so these
//! tests are deterministic: the bounds are generous (far beyond 5 standard deviations)
//! and a failure means bias, not bad luck.

use std::collections::BTreeSet;

use super::fixture::*;
use super::pool::sha256;
use super::random::WordStream;
use super::sample::sample_with_reserve;
use super::*;
use crate::directory::{RiskClass, Rules};

const TRIALS: usize = 2000;

/// Pearson's statistic of `counts` against a uniform expectation.
fn chi_square(counts: &[u64], expected: f64) -> f64 {
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

fn trial_key(label: &str, trial: usize) -> [u8; 32] {
    sha256(format!("{label} {trial}").as_bytes())
}

/// Counts how often each position of `0..n` is in a sample of `k`.
fn position_counts(n: usize, k: usize, sampler: impl Fn(usize) -> Vec<usize>) -> Vec<u64> {
    let mut counts = vec![0u64; n];
    for trial in 0..TRIALS {
        let sample = sampler(trial);
        assert_eq!(sample.len(), k);
        for position in sample {
            counts[position] += 1;
        }
    }
    counts
}

fn our_sampler(n: usize, k: usize) -> impl Fn(usize) -> Vec<usize> {
    move |trial| {
        let mut stream = WordStream::from_key(trial_key("chi-square", trial));
        sample_with_reserve((0..n).collect(), k, &mut stream).0
    }
}

/// Systematic sampling as deployed in weak systems: step `n / k`, one random start.
fn systematic_sampler(n: usize, k: usize) -> impl Fn(usize) -> Vec<usize> {
    move |trial| {
        let mut stream = WordStream::from_key(trial_key("systematic", trial));
        let step = n / k;
        let start = stream.index_below(step).unwrap_or(0);
        (0..k).map(|i| start + i * step).collect()
    }
}

/// The bound for 49 degrees of freedom: the mean is 49 and the standard deviation about
/// 10, so 100 is beyond 5 standard deviations.
const BOUND_49_DF: f64 = 100.0;

/// First, middle and last position within 6 standard deviations of the expectation.
fn assert_ends_and_middle(counts: &[u64], n: usize, k: usize) {
    let p = k as f64 / n as f64;
    let expected = TRIALS as f64 * p;
    let sd = (TRIALS as f64 * p * (1.0 - p)).sqrt();
    for position in [0, n / 2, n - 1] {
        let deviation = (counts[position] as f64 - expected).abs();
        assert!(
            deviation < 6.0 * sd,
            "position {position} drawn {} times, expected {expected:.0} ± {sd:.1}",
            counts[position]
        );
    }
}

#[test]
fn every_pool_position_is_drawn_with_the_expected_frequency_in_real_draws() {
    // The whole draw: one stratum of 50 subjects, ratio 10% so k = 5, teams formed too.
    let subjects: Vec<_> = (1..=50)
        .map(|n| subject(n, "330106", RiskClass::C))
        .collect();
    let order: Vec<_> = {
        let mut codes: Vec<_> = subjects.iter().map(|s| s.uscc.clone()).collect();
        codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        codes
    };
    let mut frozen = golden_frozen();
    frozen.subjects = subjects;
    frozen.relationships.clear();
    frozen.previous.clear();
    frozen.rules = Rules {
        ratio_bp: crate::directory::RatiosByClass {
            a: 0,
            b: 0,
            c: 1000,
            d: 0,
        },
        ..Rules::default()
    };
    let counts = position_counts(50, 5, |trial| {
        let seed = Seed(trial_key("draw", trial));
        let drawn = draw_from_seed(&frozen, &seed).unwrap();
        drawn
            .selected()
            .map(|u| order.iter().position(|o| o == u).unwrap())
            .collect()
    });
    let statistic = chi_square(&counts, (TRIALS * 5 / 50) as f64);
    assert!(
        statistic < BOUND_49_DF,
        "chi-square {statistic:.1} over 49 df"
    );
    assert_ends_and_middle(&counts, 50, 5);
}

#[test]
fn the_sampler_is_uniform_when_k_does_not_divide_n() {
    let counts = position_counts(53, 7, our_sampler(53, 7));
    let statistic = chi_square(&counts, (TRIALS * 7) as f64 / 53.0);
    assert!(statistic < 105.0, "chi-square {statistic:.1} over 52 df");
    assert_ends_and_middle(&counts, 53, 7);
}

#[test]
fn systematic_sampling_fails_the_same_test() {
    // Negative control: step 53 / 7 = 7, start 0..7, so positions 49..52 are never drawn.
    let counts = position_counts(53, 7, systematic_sampler(53, 7));
    assert_eq!(counts[52], 0);
    let statistic = chi_square(&counts, (TRIALS * 7) as f64 / 53.0);
    assert!(statistic > 105.0, "chi-square {statistic:.1} should fail");
}

#[test]
fn neighbours_are_drawn_together_as_often_as_chance_says() {
    // Systematic sampling never draws positions 0 and 1 together; a uniform sample does
    // so with probability (7/53)(6/52), about 30 times in 2000.
    let together = |sampler: &dyn Fn(usize) -> Vec<usize>| {
        (0..TRIALS)
            .filter(|t| {
                let s: BTreeSet<usize> = sampler(*t).into_iter().collect();
                s.contains(&0) && s.contains(&1)
            })
            .count()
    };
    let ours = together(&our_sampler(53, 7));
    assert!((10..=60).contains(&ours), "{ours} times");
    assert_eq!(together(&systematic_sampler(53, 7)), 0);
}

#[test]
fn the_reserve_order_is_uniform_too() {
    // Where element 0 lands in the full permutation, over 2000 seeds: 40 per position.
    let mut counts = vec![0u64; 50];
    for trial in 0..TRIALS {
        let mut stream = WordStream::from_key(trial_key("reserve", trial));
        let (selected, reserve) =
            sample_with_reserve((0..50).collect::<Vec<usize>>(), 5, &mut stream);
        let all: Vec<usize> = selected.into_iter().chain(reserve).collect();
        counts[all.iter().position(|x| *x == 0).unwrap()] += 1;
    }
    let statistic = chi_square(&counts, TRIALS as f64 / 50.0);
    assert!(
        statistic < BOUND_49_DF,
        "chi-square {statistic:.1} over 49 df"
    );
}

#[test]
fn below_is_uniform_for_a_small_range() {
    let mut stream = WordStream::from_key(trial_key("below", 0));
    let mut counts = [0u64; 7];
    for _ in 0..14_000 {
        counts[stream.below(std::num::NonZeroU64::new(7).unwrap()) as usize] += 1;
    }
    // 6 degrees of freedom: mean 6, standard deviation about 3.5.
    let statistic = chi_square(&counts, 2000.0);
    assert!(statistic < 30.0, "chi-square {statistic:.1} over 6 df");
}
