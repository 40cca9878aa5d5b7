//! The unit of numpy's `datetime64` / `timedelta64` data types
//! (`numpy.datetime64` and `numpy.timedelta64` in zarr-extensions, Zarr
//! v2's `<M8[unit]` / `<m8[unit]`): a scale factor times one of numpy's
//! units. Values are int64 counts of that unit; the least int64 is NaT.

use crate::error::{invalid_metadata, Result};

/// numpy's time units, `generic` (no unit) included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
    Micro,
    Nano,
    Pico,
    Femto,
    Atto,
    Generic,
}

const UNITS: [(&str, TimeUnit); 14] = [
    ("Y", TimeUnit::Year),
    ("M", TimeUnit::Month),
    ("W", TimeUnit::Week),
    ("D", TimeUnit::Day),
    ("h", TimeUnit::Hour),
    ("m", TimeUnit::Minute),
    ("s", TimeUnit::Second),
    ("ms", TimeUnit::Milli),
    ("us", TimeUnit::Micro),
    ("ns", TimeUnit::Nano),
    ("ps", TimeUnit::Pico),
    ("fs", TimeUnit::Femto),
    ("as", TimeUnit::Atto),
    ("generic", TimeUnit::Generic),
];

impl TimeUnit {
    pub fn parse(s: &str) -> Result<TimeUnit> {
        UNITS
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, u)| *u)
            .ok_or_else(|| invalid_metadata(format!("unknown time unit \"{s}\"")))
    }

    pub fn name(self) -> &'static str {
        UNITS
            .iter()
            .find(|(_, u)| *u == self)
            .map(|(n, _)| *n)
            .expect("every unit is listed")
    }
}

/// The inside of numpy's brackets, `[10s]` or `[ns]` (empty: generic),
/// as unit and scale factor.
pub fn parse_bracket(s: &str) -> Result<(TimeUnit, u32)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let scale = if digits == 0 {
        1
    } else {
        s[..digits]
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0 && *n < 1 << 31)
            .ok_or_else(|| invalid_metadata(format!("invalid time scale in \"[{s}]\"")))?
    };
    let unit = match &s[digits..] {
        "" if digits == 0 => TimeUnit::Generic,
        "" => {
            return Err(invalid_metadata(format!(
                "a time scale without a unit in \"[{s}]\""
            )))
        }
        u => TimeUnit::parse(u)?,
    };
    Ok((unit, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_brackets() {
        for (n, u) in UNITS {
            assert_eq!(TimeUnit::parse(n).unwrap(), u);
            assert_eq!(u.name(), n);
        }
        assert_eq!(parse_bracket("10s").unwrap(), (TimeUnit::Second, 10));
        assert_eq!(parse_bracket("ns").unwrap(), (TimeUnit::Nano, 1));
        assert_eq!(parse_bracket("").unwrap(), (TimeUnit::Generic, 1));
        for bad in ["0s", "x", "10", "99999999999s", "S"] {
            assert!(parse_bracket(bad).is_err(), "{bad}");
        }
    }
}
