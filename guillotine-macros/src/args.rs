//! The attributes' keys (`flavor = "multi_thread", worker_threads = 4, ..`):
//! parsed into a [`Config`], checked against each other, every error on the
//! token at fault.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path, Token};

/// Which attribute is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as its user wrote it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[guillotine::main]",
            Kind::Test => "#[guillotine::test]",
        }
    }

    /// The keys this attribute takes, for the unknown-key message.
    fn keys(self) -> &'static str {
        match self {
            Kind::Main => "`flavor`, `worker_threads`, `start_paused`, `auto_advance` and `crate`",
            Kind::Test => {
                "`flavor`, `worker_threads`, `start_paused`, `auto_advance`, `timeout` and `crate`"
            }
        }
    }
}

/// A runtime flavor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// What the keys asked for.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `worker_threads`: at least 1, and only with the multi-thread flavor.
    pub(crate) worker_threads: Option<usize>,
    /// `crate`: the path to guillotine, when it is re-exported.
    pub(crate) krate: Option<Path>,
    /// `timeout` (`#[guillotine::test]` only).
    pub(crate) timeout: Option<Timeout>,
    /// `start_paused` and `auto_advance` (paused time, `test-util`).
    pub(crate) start_paused: Option<bool>,
    pub(crate) auto_advance: Option<bool>,
}

impl Config {
    /// No keys: tokio's defaults, the multi-thread flavor for `main` and
    /// the current-thread one for tests.
    pub(crate) fn default_for(kind: Kind) -> Config {
        Config {
            flavor: match kind {
                Kind::Main => Flavor::MultiThread,
                Kind::Test => Flavor::CurrentThread,
            },
            worker_threads: None,
            krate: None,
            timeout: None,
            start_paused: None,
            auto_advance: None,
        }
    }
}

/// A test's `timeout = ".."`.
pub(crate) struct Timeout {
    pub(crate) nanos: u64,
    /// The string as written, for the timeout's message.
    pub(crate) written: LitStr,
}

/// One `key = value` (or a bare `key`, which is always an error).
struct Pair {
    key: Ident,
    value: Option<Expr>,
}

impl Parse for Pair {
    fn parse(input: ParseStream<'_>) -> syn::Result<Pair> {
        // `parse_any`: `crate` is a keyword.
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Pair { key, value })
    }
}

/// Parses and checks the attribute's arguments.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Config> {
    let pairs = Punctuated::<Pair, Token![,]>::parse_terminated.parse2(args)?;
    let mut config = Config::default_for(kind);
    let mut seen: Vec<String> = Vec::new();
    // Where the flavor was set, if it was, and where `worker_threads` was.
    let mut flavor_set = false;
    let mut workers_key = None;
    for Pair { key, value } in pairs {
        let name = key.unraw().to_string();
        if seen.contains(&name) {
            return Err(error(&key, format!("duplicate key `{name}`")));
        }
        match name.as_str() {
            "flavor" => {
                let lit = string(&key, value, "flavor = \"multi_thread\"")?;
                config.flavor = match lit.value().as_str() {
                    "current_thread" => Flavor::CurrentThread,
                    "multi_thread" => Flavor::MultiThread,
                    other => {
                        return Err(error(
                            &lit,
                            format!(
                                "unknown flavor `{other}`; \
                                 expected \"current_thread\" or \"multi_thread\""
                            ),
                        ));
                    }
                };
                flavor_set = true;
            }
            "worker_threads" => {
                let lit = match literal(&key, value, "worker_threads = 4")? {
                    Lit::Int(lit) => lit,
                    other => {
                        return Err(error(
                            &other,
                            "`worker_threads` takes an integer, such as `worker_threads = 4`",
                        ));
                    }
                };
                let n: usize = lit.base10_parse()?;
                if n == 0 {
                    return Err(error(
                        &lit,
                        "`worker_threads` must be at least 1 (a multi-thread runtime \
                         needs a worker to run its tasks)",
                    ));
                }
                config.worker_threads = Some(n);
                workers_key = Some(key.clone());
            }
            "crate" => {
                let example = "crate = \"my_crate::guillotine\"";
                let lit = string(&key, value, example)?;
                let path = lit.parse::<Path>().map_err(|_| {
                    error(
                        &lit,
                        format!("`crate` takes the path to guillotine, such as `{example}`"),
                    )
                })?;
                config.krate = Some(path);
            }
            "timeout" if kind == Kind::Test => {
                let lit = string(&key, value, "timeout = \"5s\"")?;
                let nanos = parse_timeout(&lit.value()).map_err(|why| error(&lit, why))?;
                config.timeout = Some(Timeout {
                    nanos,
                    written: lit,
                });
            }
            "timeout" => {
                return Err(error(
                    &key,
                    "`timeout` is for tests: #[guillotine::main] does not take it",
                ));
            }
            "start_paused" | "auto_advance" => {
                let example = format!("{name} = true");
                let on = match literal(&key, value, &example)? {
                    Lit::Bool(b) => b.value,
                    other => {
                        return Err(error(
                            &other,
                            format!("`{name}` takes `true` or `false`, such as `{example}`"),
                        ));
                    }
                };
                if name == "start_paused" {
                    config.start_paused = Some(on);
                } else {
                    config.auto_advance = Some(on);
                }
            }
            "current_thread" | "multi_thread" if value.is_none() => {
                return Err(error(
                    &key,
                    format!("unknown key `{name}`; set the flavor with `flavor = \"{name}\"`"),
                ));
            }
            _ => {
                return Err(error(
                    &key,
                    format!(
                        "unknown key `{name}`; {} takes {}",
                        kind.attribute(),
                        kind.keys()
                    ),
                ));
            }
        }
        seen.push(name);
    }
    if let (Some(key), Flavor::CurrentThread) = (workers_key, config.flavor) {
        let msg = if flavor_set {
            "`worker_threads` does not apply to `flavor = \"current_thread\"`, which runs \
             every task on the thread that calls it; use `flavor = \"multi_thread\"` for \
             worker threads"
        } else {
            "#[guillotine::test] runs on the current-thread flavor unless told otherwise: \
             `worker_threads` needs `flavor = \"multi_thread\"`"
        };
        return Err(error(&key, msg));
    }
    Ok(config)
}

fn error(at: &impl quote::ToTokens, msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new_spanned(at, msg)
}

/// The literal value of `key`; `example` shows the key with a value.
fn literal(key: &Ident, value: Option<Expr>, example: &str) -> syn::Result<Lit> {
    match value {
        Some(Expr::Lit(ExprLit { lit, attrs })) if attrs.is_empty() => Ok(lit),
        Some(other) => Err(error(
            &other,
            format!("`{key}` takes a literal, such as `{example}`"),
        )),
        None => Err(error(
            key,
            format!("`{key}` needs a value, such as `{example}`"),
        )),
    }
}

/// The string value of `key`; `example` shows the key with a value.
fn string(key: &Ident, value: Option<Expr>, example: &str) -> syn::Result<LitStr> {
    match literal(key, value, example)? {
        Lit::Str(lit) => Ok(lit),
        other => Err(error(
            &other,
            format!("`{key}` takes a string, such as `{example}`"),
        )),
    }
}

/// Nanoseconds in one of each unit a timeout may be written in.
const UNITS: [(&str, u128); 3] = [
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
];

/// A timeout such as "500ms", "5s", "1.5s" or "2m", in nanoseconds; or why
/// it is not one.
pub(crate) fn parse_timeout(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "invalid timeout \"{text}\": expected a number and a unit (ms, s or m), \
             such as \"500ms\", \"5s\" or \"2m\""
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let (_, per_unit) = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(invalid)?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (number.contains('.') && !digits(fraction)) {
        return Err(invalid());
    }
    let too_long = || format!("timeout \"{text}\" is too long");
    let whole: u128 = whole.parse().map_err(|_| too_long())?;
    // Digits past the nanosecond do not count.
    let fraction = &fraction[..fraction.len().min(12)];
    let fraction = if fraction.is_empty() {
        0
    } else {
        let scale = 10u128.pow(fraction.len() as u32);
        fraction.parse::<u128>().map_err(|_| invalid())? * per_unit / scale
    };
    let nanos = whole
        .checked_mul(*per_unit)
        .and_then(|n| n.checked_add(fraction))
        .ok_or_else(too_long)?;
    if nanos == 0 {
        return Err(format!(
            "a timeout of \"{text}\" would fail every run; give a duration above zero"
        ));
    }
    u64::try_from(nanos).map_err(|_| too_long())
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;

    #[test]
    fn timeouts_in_each_unit() {
        assert_eq!(parse_timeout("500ms"), Ok(500_000_000));
        assert_eq!(parse_timeout("5s"), Ok(5_000_000_000));
        assert_eq!(parse_timeout("2m"), Ok(120_000_000_000));
        assert_eq!(parse_timeout("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_timeout("0.25m"), Ok(15_000_000_000));
        assert_eq!(parse_timeout("1ms"), Ok(1_000_000));
    }

    #[test]
    fn malformed_timeouts_say_why() {
        for bad in [
            "", "5", "s", "5 s", "5sec", "5h", ".5s", "5.s", "1.2.3s", "-5s", "5S",
        ] {
            let why = parse_timeout(bad).unwrap_err();
            assert!(why.starts_with("invalid timeout"), "{bad:?}: {why}");
        }
        assert!(
            parse_timeout("0s")
                .unwrap_err()
                .contains("would fail every run")
        );
        assert!(
            parse_timeout("0.0000000001s")
                .unwrap_err()
                .contains("would fail")
        );
        assert!(
            parse_timeout("99999999999999999999999m")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse_timeout("999999999999m")
                .unwrap_err()
                .contains("too long")
        );
    }
}
