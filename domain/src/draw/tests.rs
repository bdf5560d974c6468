//! Unit tests of the draw's building blocks against fixed vectors: ChaCha20 words
//! (`shared/data/randomness-vectors.json`), range reduction, Fisher–Yates, quotas,
//! encodings, commitments and the drand quicknet round 123.

use std::num::NonZeroU64;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::beacon::{
    commitment_of, quicknet_first_round_at_or_after, quicknet_message, quicknet_round_time,
    BeaconError, Commitment, DrandBeacon, RevealStatus,
};
use super::fixture::*;
use super::pool::{csv_field, csv_list, rules_text, sha256};
use super::random::WordStream;
use super::sample::{fisher_yates, sample_with_reserve};
use super::strata::quota;
use super::teams::covers;
use crate::directory::Rules;

/// `chacha20rng_raw.seed_hex`: SHA-256("jianxin test vector").
const VECTOR_SEED: &str = "f111d78cb56b4b8969800f9eaa4ad89654feefdc27f7c6261e4015724a79f69a";

fn vector_key() -> [u8; 32] {
    hex::decode(VECTOR_SEED).unwrap().try_into().unwrap()
}

#[test]
fn the_vector_seed_is_the_hash_it_claims() {
    assert_eq!(sha256(b"jianxin test vector"), vector_key());
}

#[test]
fn chacha20rng_matches_the_shared_raw_vectors() {
    let mut rng = ChaCha20Rng::from_seed(vector_key());
    let words: Vec<String> = (0..4).map(|_| format!("{:08x}", rng.next_u32())).collect();
    assert_eq!(words, ["6ac6f1c0", "764f616d", "d0acbba5", "93688d20"]);
    assert_eq!(format!("{:016x}", rng.next_u64()), "8a76b5b78d222588");

    let mut rng = ChaCha20Rng::from_seed(vector_key());
    for _ in 0..63 {
        rng.next_u32();
    }
    assert_eq!(format!("{:016x}", rng.next_u64()), "a3889571399f1436");

    let mut rng = ChaCha20Rng::from_seed(vector_key());
    rng.set_stream(7);
    assert_eq!(format!("{:08x}", rng.next_u32()), "39536550");

    let mut rng = ChaCha20Rng::from_seed(vector_key());
    let mut bytes = [0u8; 64];
    rng.fill_bytes(&mut bytes);
    assert_eq!(
        hex::encode(bytes),
        "c0f1c66a6d614f76a5bbacd0208d68938825228db7b5768a9ad2d7af4cab03b3\
         1963ce10d9e861f9c597a285e79ba4ed61e564fd161209df53ba5d1b56982936"
    );
}

#[test]
fn words_are_little_endian_eight_byte_chunks_of_the_keystream() {
    let keystream = hex::decode(
        "c0f1c66a6d614f76a5bbacd0208d68938825228db7b5768a9ad2d7af4cab03b3\
         1963ce10d9e861f9c597a285e79ba4ed61e564fd161209df53ba5d1b56982936",
    )
    .unwrap();
    let mut stream = WordStream::from_key(vector_key());
    for chunk in keystream.chunks(8) {
        let expected = u64::from_le_bytes(chunk.try_into().unwrap());
        assert_eq!(stream.next_word(), expected);
    }
    assert_eq!(stream.words_read(), 8);
    // Word 4 of the shared vectors (after four u32 words) is 0x8a76b5b78d222588.
    let mut stream = WordStream::from_key(vector_key());
    let words: Vec<u64> = (0..3).map(|_| stream.next_word()).collect();
    assert_eq!(words[2], 0x8a76_b5b7_8d22_2588);
}

fn nz(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}

#[test]
fn below_reduces_accepted_words_modulo_n() {
    // Word 0 is 0x764f616d6ac6f1c0; no n below is large enough to reject it.
    let mut stream = WordStream::from_key(vector_key());
    assert_eq!(stream.below(nz(10)), 0x764f_616d_6ac6_f1c0 % 10);
    let mut stream = WordStream::from_key(vector_key());
    assert_eq!(stream.below(nz(1)), 0);
    assert_eq!(stream.words_read(), 1);
}

#[test]
fn below_rejects_words_in_the_biased_tail_and_consumes_them() {
    // n = 2^63 + 1: r = 2^64 mod n = 2^63 - 1, so words above 2^64 - 1 - r = 2^63 are
    // rejected (about half of them). Word 0 (0x764f…) is accepted; find a rejected one.
    let n = (1u64 << 63) + 1;
    let mut raw = WordStream::from_key(vector_key());
    let words: Vec<u64> = (0..16).map(|_| raw.next_word()).collect();
    let limit = 1u64 << 63;
    let first_accepted = words.iter().position(|w| *w <= limit).unwrap();
    let mut stream = WordStream::from_key(vector_key());
    assert_eq!(stream.below(nz(n)), words[first_accepted] % n);
    assert_eq!(stream.words_read(), first_accepted as u64 + 1);
    // Skip to the first word above the limit and check it is consumed, not returned.
    let rejected = words.iter().position(|w| *w > limit).unwrap();
    let mut stream = WordStream::from_key(vector_key());
    for _ in 0..rejected {
        stream.next_word();
    }
    let next_ok = rejected
        + 1
        + words[rejected + 1..]
            .iter()
            .position(|w| *w <= limit)
            .unwrap();
    assert_eq!(stream.below(nz(n)), words[next_ok] % n);
    assert_eq!(stream.words_read(), next_ok as u64 + 1);
}

#[test]
fn below_with_a_power_of_two_never_rejects() {
    let mut stream = WordStream::from_key(vector_key());
    for _ in 0..1000 {
        assert!(stream.below(nz(1 << 32)) < 1 << 32);
    }
    assert_eq!(stream.words_read(), 1000);
}

#[test]
fn fisher_yates_is_pinned_for_the_vector_key() {
    // Golden vector of docs/DRAW.md §11.1: 0..10, full permutation, key = vector seed.
    let mut stream = WordStream::from_key(vector_key());
    let permuted = fisher_yates((0..10).collect(), 10, &mut stream);
    assert_eq!(permuted, GOLDEN_PERMUTATION);
    assert_eq!(stream.words_read(), 10);
    // A partial shuffle draws the same prefix.
    let mut stream = WordStream::from_key(vector_key());
    let partial = fisher_yates((0..10).collect::<Vec<u32>>(), 3, &mut stream);
    assert_eq!(partial[..3], GOLDEN_PERMUTATION[..3]);
    assert_eq!(stream.words_read(), 3);
}

/// `fisher_yates(0..10, 10)` with the vector key (docs/DRAW.md §11.1).
const GOLDEN_PERMUTATION: [u32; 10] = [0, 2, 1, 6, 5, 4, 7, 9, 8, 3];

#[test]
fn sample_with_reserve_splits_one_permutation() {
    let mut stream = WordStream::from_key(vector_key());
    let (selected, reserve) = sample_with_reserve((0..10).collect::<Vec<u32>>(), 4, &mut stream);
    assert_eq!(selected, GOLDEN_PERMUTATION[..4]);
    assert_eq!(reserve, GOLDEN_PERMUTATION[4..]);
    let mut stream = WordStream::from_key(vector_key());
    let (selected, reserve) = sample_with_reserve((0..10).collect::<Vec<u32>>(), 0, &mut stream);
    assert!(selected.is_empty() && reserve.is_empty());
    assert_eq!(stream.words_read(), 0);
}

#[test]
fn quota_is_the_ceiling_capped_at_the_stratum() {
    assert_eq!(quota(0, 300), 0);
    assert_eq!(quota(1, 300), 1);
    assert_eq!(quota(33, 300), 1);
    assert_eq!(quota(34, 300), 2);
    assert_eq!(quota(100, 300), 3);
    assert_eq!(quota(101, 300), 4);
    assert_eq!(quota(7, 0), 0);
    assert_eq!(quota(7, 10_000), 7);
    assert_eq!(quota(7, 20_000), 7);
    assert_eq!(quota(3, 5000), 2);
    assert_eq!(quota(usize::MAX, u32::MAX), usize::MAX);
}

#[test]
fn patrol_areas_cover_their_own_code_and_lower_levels() {
    let r = |t: &str| region(t);
    assert!(covers(&r("330106"), &r("330106")));
    assert!(covers(&r("330100"), &r("330106")));
    assert!(covers(&r("330000"), &r("330106")));
    assert!(!covers(&r("330102"), &r("330106")));
    assert!(!covers(&r("330200"), &r("330106")));
    assert!(!covers(&r("320000"), &r("330106")));
    assert!(!covers(&r("330106"), &r("330100")));
}

#[test]
fn csv_fields_quote_only_when_needed_and_lists_escape_separators() {
    assert_eq!(csv_field("plain 名称"), "plain 名称");
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_list(["a", "b"]), "a;b");
    assert_eq!(csv_list(["a;b", "c\\d"]), "a\\;b;c\\\\d");
    assert_eq!(csv_list(["x,y"]), "\"x,y\"");
    assert_eq!(csv_list(std::iter::empty()), "");
}

#[test]
fn rules_text_of_the_defaults_is_pinned() {
    assert_eq!(
        rules_text(&Rules::default()),
        "jianxin-rules-v1\n\
         ratio_bp.A=300\n\
         ratio_bp.B=500\n\
         ratio_bp.C=1000\n\
         ratio_bp.D=3000\n\
         exclusions.eligible_statuses=active\n\
         exclusions.min_months_since_registration=6\n\
         exclusions.same_department_within_months=12\n\
         frequency_cap_per_year=1\n\
         min_team_size=2\n\
         conflicts.exclude_patrol_area=true\n\
         conflicts.exclude_previous_inspector=true\n\
         workload_cap_per_task=20\n\
         publication_deadline_working_days=20\n"
    );
}

#[test]
fn commitments_hash_a_domain_separated_secret() {
    let secret = [7u8; 32];
    let mut preimage = b"jianxin-draw-commit-v1\x00".to_vec();
    preimage.extend_from_slice(&secret);
    assert_eq!(commitment_of(&secret), sha256(&preimage));
    assert_eq!(
        hex::encode(commitment_of(&secret)),
        "39dd006582a7d1d3bc8c600461c7a3fb229d3ea79783fc70cb2e4d127086882d"
    );
    let department = department("SCJG");
    let mut c = Commitment {
        department,
        commitment: commitment_of(&secret),
        secret: Some(secret),
    };
    assert_eq!(c.status(), RevealStatus::Valid);
    c.secret = Some([8u8; 32]);
    assert_eq!(c.status(), RevealStatus::Invalid);
    assert_eq!(c.valid_secret(), None);
    c.secret = None;
    assert_eq!(c.status(), RevealStatus::Missing);
}

#[test]
fn drand_quicknet_round_123_verifies_and_gives_its_randomness() {
    let verified = round_123().verify().unwrap();
    assert_eq!(verified.round, 123);
    assert_eq!(hex::encode(verified.randomness), ROUND_123_RANDOMNESS);
    assert_eq!(quicknet_round_time(123), Some(1_692_803_733));
}

#[test]
fn the_same_signature_fails_as_round_124() {
    let mut beacon = round_123();
    beacon.round = 124;
    assert_eq!(
        beacon.verify(),
        Err(BeaconError::BadSignature { round: 124 })
    );
}

#[test]
fn malformed_beacons_are_refused_before_any_pairing() {
    let mut beacon = round_123();
    beacon.signature.pop();
    assert_eq!(
        beacon.verify(),
        Err(BeaconError::SignatureLength { found: 47 })
    );
    let zero = DrandBeacon {
        round: 0,
        signature: round_123().signature,
    };
    assert_eq!(zero.verify(), Err(BeaconError::RoundZero));
    let garbage = DrandBeacon {
        round: 123,
        signature: vec![0xff; 48],
    };
    assert!(matches!(
        garbage.verify(),
        Err(BeaconError::InvalidPoint { round: 123, .. })
    ));
}

#[test]
fn quicknet_rounds_and_times_convert_both_ways() {
    assert_eq!(quicknet_round_time(1), Some(1_692_803_367));
    assert_eq!(quicknet_round_time(0), None);
    assert_eq!(quicknet_first_round_at_or_after(1_692_803_367), 1);
    assert_eq!(quicknet_first_round_at_or_after(1_692_803_368), 2);
    assert_eq!(quicknet_first_round_at_or_after(1_692_803_733), 123);
    assert_eq!(quicknet_first_round_at_or_after(0), 1);
    assert_eq!(
        hex::encode(quicknet_message(123)),
        hex::encode(sha256(&123u64.to_be_bytes()))
    );
}
