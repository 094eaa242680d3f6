//! What protects vouch from the service it talks to: the HTTP client every
//! request to a target goes through (it follows no redirect by itself: the
//! runner decides which hop may carry a credential), and the cap on the
//! bodies vouch reads ([`MaxBody`], `--max-body`). A body over the cap is
//! reported with the size seen, never read to the end: a target that sends
//! without end cannot grow vouch's memory past the cap. The client's timeout
//! bounds the whole exchange, body included, as well.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The cap on one body: `--max-body`, 16 MiB by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxBody(u64);

impl MaxBody {
    /// 16 MiB.
    pub const DEFAULT: MaxBody = MaxBody(16 * 1024 * 1024);

    /// A cap of `bytes` (at least 1).
    pub const fn new(bytes: u64) -> MaxBody {
        MaxBody(if bytes == 0 { 1 } else { bytes })
    }

    /// The cap in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// The cap as a `usize`, for APIs that count in memory.
    pub fn usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl Default for MaxBody {
    fn default() -> MaxBody {
        MaxBody::DEFAULT
    }
}

/// Binary units, largest first, for [`MaxBody`]'s display.
const BINARY_UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];

impl fmt::Display for MaxBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match BINARY_UNITS
            .iter()
            .find(|(_, size)| self.0.is_multiple_of(*size))
        {
            Some((unit, size)) => write!(f, "{} {unit}", self.0 / size),
            None => write!(f, "{} bytes", self.0),
        }
    }
}

/// A `--max-body` that is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a body size: give bytes (`1048576`) or a number with a unit \
     (`16MiB`, `512 KiB`, `1GiB`, `10MB`), at least 1 byte"
)]
pub struct InvalidSize(String);

impl FromStr for MaxBody {
    type Err = InvalidSize;

    /// Bytes (`1048576`, `1048576B`) or a number with a unit: KiB, MiB, GiB
    /// (powers of 1024) or KB, MB, GB (powers of 1000), any case, a space allowed.
    fn from_str(text: &str) -> Result<MaxBody, InvalidSize> {
        let invalid = || InvalidSize(text.to_string());
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let number: u64 = number.parse().map_err(|_| invalid())?;
        let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" | "bytes" => 1,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            _ => return Err(invalid()),
        };
        match number.checked_mul(scale) {
            Some(bytes) if bytes > 0 => Ok(MaxBody(bytes)),
            _ => Err(invalid()),
        }
    }
}

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The body is larger than the cap: reading stopped there.
    #[error("response body exceeds {cap} ({seen})")]
    TooLarge {
        /// The cap.
        cap: MaxBody,
        /// What was seen of its size.
        seen: Seen,
    },
    /// The connection failed while reading.
    #[error("reading the answer: {0}")]
    Http(#[source] reqwest::Error),
}

/// What vouch saw of a body over the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Its `Content-Length`, before reading any of it.
    Declared(u64),
    /// The bytes read before stopping (more were coming).
    Read(u64),
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Declared(length) => write!(f, "Content-Length {length}"),
            Seen::Read(read) => write!(f, "read {read}+ bytes"),
        }
    }
}

/// A client for requests to a target: keep-alive connections, `timeout` for
/// the whole exchange (body included), and no redirect followed.
pub fn client(timeout: Duration) -> reqwest::Client {
    // TLS for live targets uses ring; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Reads the body of `response`, stopping as soon as it passes `cap`
/// (without reading any of it when its `Content-Length` already does).
pub async fn read_body(
    mut response: reqwest::Response,
    cap: MaxBody,
) -> Result<Vec<u8>, ReadError> {
    if let Some(length) = response.content_length()
        && length > cap.0
    {
        return Err(ReadError::TooLarge {
            cap,
            seen: Seen::Declared(length),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        body.extend_from_slice(&chunk);
        let read = body.len() as u64;
        if read > cap.0 {
            return Err(ReadError::TooLarge {
                cap,
                seen: Seen::Read(read),
            });
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("16MiB", 16 << 20)]
    #[case("16 mib", 16 << 20)]
    #[case("512KiB", 512 << 10)]
    #[case("1GiB", 1 << 30)]
    #[case("10MB", 10_000_000)]
    #[case("2kb", 2_000)]
    #[case("1048577", 1_048_577)]
    #[case(" 7B ", 7)]
    fn a_max_body_is_bytes_or_a_number_with_a_unit(#[case] text: &str, #[case] bytes: u64) {
        assert_eq!(text.parse::<MaxBody>(), Ok(MaxBody(bytes)));
    }

    #[rstest]
    #[case("")]
    #[case("0")]
    #[case("0MiB")]
    #[case("MiB")]
    #[case("-1")]
    #[case("1.5MiB")]
    #[case("16 TiB")]
    #[case("99999999999GiB")]
    fn anything_else_is_refused_naming_the_text(#[case] text: &str) {
        let error = text.parse::<MaxBody>().unwrap_err();
        assert!(error.to_string().contains(&format!("`{text}`")), "{error}");
    }

    #[test]
    fn the_cap_and_what_was_seen_read_as_sizes() {
        let cap = MaxBody::DEFAULT;
        let too_large = |seen| ReadError::TooLarge { cap, seen }.to_string();
        assert_eq!(
            too_large(Seen::Read(16_777_217)),
            "response body exceeds 16 MiB (read 16777217+ bytes)"
        );
        assert_eq!(
            too_large(Seen::Declared(1 << 31)),
            "response body exceeds 16 MiB (Content-Length 2147483648)"
        );
        assert_eq!(MaxBody(1500).to_string(), "1500 bytes");
        assert_eq!(MaxBody(3 << 10).to_string(), "3 KiB");
    }
}
