//! Amounts of money as scenario files state them: a number and the currency its source
//! used (`"290 USD"`, `"20.7e9 KZT"`), and the exchange rates that turn them into the
//! scenario's reporting currency year by year.
//!
//! Amounts stay in their own currency in the file so that a reader can check each one
//! against its source; conversion happens once, when the model is built, with the rate of
//! each simulated year. This module must never do I/O or know about the model.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// ISO 4217 codes accepted: the corridor's own currencies, its trading partners' and the
/// usual reporting currencies. A code outside the list is refused as a likely typo.
pub const CURRENCIES: &[&str] = &[
    "AED", "AZN", "CHF", "CNY", "EUR", "GBP", "GEL", "IRR", "JPY", "KGS", "KRW", "KZT", "PLN",
    "RON", "RUB", "SAR", "TJS", "TMT", "TRY", "UAH", "USD", "UZS",
];

/// An amount in a stated currency. Written in a scenario as `"<number> <CODE>"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MoneyInput", into = "String")]
pub struct Money {
    pub amount: f64,
    /// An ISO 4217 code, upper case (checked against `CURRENCIES` by validation, which
    /// can suggest the closest code).
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl From<Money> for String {
    fn from(m: Money) -> String {
        m.to_string()
    }
}

/// What a file may hold where an amount is expected: a bare number is read so that the
/// message can say what is missing (its currency) instead of serde's "expected a string".
#[derive(Deserialize)]
#[serde(untagged)]
enum MoneyInput {
    Text(String),
    Number(f64),
}

impl TryFrom<MoneyInput> for Money {
    type Error = String;

    fn try_from(input: MoneyInput) -> Result<Money, String> {
        match input {
            MoneyInput::Text(s) => Money::parse(&s),
            MoneyInput::Number(x) => Err(format!(
                "`{x}` has no currency; write the amount with the ISO 4217 code of its source, such as \"{x} USD\""
            )),
        }
    }
}

impl Money {
    /// Parses `"<number> <CODE>"`: a number (as TOML writes floats, without thousands
    /// separators) and a three-letter currency code.
    pub fn parse(s: &str) -> Result<Money, String> {
        let shape = || {
            format!(
                "`{s}` is not an amount with its currency; write a number and an ISO 4217 code, such as \"290 USD\" or \"20.7e9 KZT\""
            )
        };
        let mut parts = s.split_whitespace();
        let (Some(number), Some(code), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(shape());
        };
        let amount: f64 = number.replace('_', "").parse().map_err(|_| shape())?;
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(shape());
        }
        Ok(Money {
            amount,
            currency: code.to_ascii_uppercase(),
        })
    }
}

/// Units of the reporting currency per unit of a currency: one rate for every year, or a
/// rate for each simulated year (`{ 2024 = 0.92, 2025 = 0.95 }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RateSpec {
    Fixed(f64),
    ByYear(BTreeMap<String, f64>),
}

/// The `[costs]` section: the reporting currency and the exchange rates into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostsSpec {
    /// Currency every cost is reported in (ISO 4217).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Reporting-currency units per unit of each other currency the file uses.
    #[serde(default)]
    pub exchange_rates: BTreeMap<String, RateSpec>,
}

impl Default for CostsSpec {
    fn default() -> Self {
        CostsSpec {
            currency: default_currency(),
            exchange_rates: BTreeMap::new(),
        }
    }
}

fn default_currency() -> String {
    "EUR".to_string()
}

impl CostsSpec {
    /// Reporting-currency units per unit of `currency` in `year`; None when no rate is
    /// given for it (validation reports that with its place).
    pub fn rate(&self, currency: &str, year: i32) -> Option<f64> {
        if currency == self.currency {
            return Some(1.0);
        }
        match self.exchange_rates.get(currency)? {
            RateSpec::Fixed(r) => Some(*r),
            RateSpec::ByYear(m) => m
                .iter()
                .find(|(y, _)| y.parse::<i32>().ok() == Some(year))
                .map(|(_, r)| *r),
        }
    }

    /// `m` in the reporting currency of `year`.
    pub fn convert(&self, m: &Money, year: i32) -> Option<f64> {
        self.rate(&m.currency, year).map(|r| m.amount * r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_with_their_currency_and_refuse_other_shapes() {
        assert_eq!(
            Money::parse("290 USD").unwrap(),
            Money {
                amount: 290.0,
                currency: "USD".into()
            }
        );
        assert_eq!(Money::parse("20.7e9 kzt").unwrap().amount, 20.7e9);
        assert_eq!(Money::parse("1_350 USD").unwrap().amount, 1350.0);
        for bad in ["290", "USD 290", "290 US", "290 USD extra", "", "1,350 USD"] {
            assert!(Money::parse(bad).is_err(), "{bad:?} was accepted");
        }
        // Round trip through the file form.
        let m = Money::parse("0.12 USD").unwrap();
        assert_eq!(Money::parse(&String::from(m.clone())).unwrap(), m);
    }

    #[test]
    fn rates_convert_only_the_amounts_stated_in_their_currency() {
        let mut c = CostsSpec::default();
        c.exchange_rates.insert("USD".into(), RateSpec::Fixed(0.9));
        c.exchange_rates.insert(
            "KZT".into(),
            RateSpec::ByYear([("2024".to_string(), 0.002), ("2025".to_string(), 0.0018)].into()),
        );
        let usd = Money::parse("100 USD").unwrap();
        let eur = Money::parse("100 EUR").unwrap();
        let kzt = Money::parse("1000 KZT").unwrap();
        assert_eq!(c.convert(&usd, 2024), Some(90.0));
        assert_eq!(c.convert(&eur, 2024), Some(100.0));
        assert_eq!(c.convert(&kzt, 2025), Some(1.8));
        assert_eq!(c.convert(&kzt, 2026), None);
        assert_eq!(c.convert(&Money::parse("1 GEL").unwrap(), 2024), None);
    }
}
