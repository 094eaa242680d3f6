//! The mock's randomness: generated ids (hex, integers, UUIDs), pod
//! addresses and fault probabilities, drawn from one seedable [`fastrand::Rng`] per process.
//!
//! With `VOUCH_MOCK_SEED=<u64>` in the environment the sequence is
//! reproducible: a `vouch mock` started twice with the same seed generates
//! the same ids for the same requests. Without it the seed is random. The
//! sequence is the process's: a reset does not start it over (ids made after
//! a reset differ from those made before), and mocks that share a process
//! (the test suite runs several) draw from the one sequence.

use std::sync::{LazyLock, Mutex};

use super::lock;

/// The environment variable that seeds the mock's randomness.
pub const SEED_VARIABLE: &str = "VOUCH_MOCK_SEED";

/// The seed from the environment, if one is set and is a number.
fn seed_from_env() -> Option<u64> {
    std::env::var(SEED_VARIABLE).ok()?.trim().parse().ok()
}

/// The process's generator.
static RNG: LazyLock<Mutex<fastrand::Rng>> = LazyLock::new(|| {
    let rng = seed_from_env().map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    Mutex::new(rng)
});

/// A random 64-bit number.
pub fn next_u64() -> u64 {
    lock(&RNG).u64(..)
}

/// `len` random lowercase hex digits (e.g. a 32-hex Huawei id).
pub fn hex_id(len: usize) -> String {
    let mut rng = lock(&RNG);
    (0..len)
        .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
        .collect()
}

/// A uniform integer in `low..=high` (`low` when the range is empty).
pub fn int_in(low: i64, high: i64) -> i64 {
    if high <= low {
        return low;
    }
    lock(&RNG).i64(low..=high)
}

/// A random version-4 UUID in its hyphenated lowercase form.
pub fn uuid() -> String {
    let hex = hex_id(32);
    let variant = ["8", "9", "a", "b"][lock(&RNG).usize(..4)];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..]
    )
}

/// A uniform number in `0.0..1.0`.
pub fn unit() -> f64 {
    lock(&RNG).f64()
}

/// Seconds since the Unix epoch.
pub fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_have_the_length_asked_and_differ() {
        let (a, b) = (hex_id(32), hex_id(32));
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn integers_stay_in_their_range_and_uuids_have_their_form() {
        assert!((0..200).map(|_| int_in(5, 7)).all(|n| (5..=7).contains(&n)));
        assert_eq!(int_in(9, 3), 9);
        let id = uuid();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]));
    }
}
