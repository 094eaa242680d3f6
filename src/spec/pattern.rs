//! A text a schema's `pattern` matches, for the values vouch makes where a
//! spec gives no example: the generic mock's answers and `vouch conform`'s
//! cases (Twilio's `^AC[0-9a-fA-F]{32}$` gives `AC` and 32 `a`s).

use regex_syntax::hir::{Class, Hir, HirKind};

/// The shortest text `pattern` matches, each character class taking a
/// letter or digit where it has one; `None` when the pattern does not parse
/// or asks for more than [`MAX_MATCH`] characters.
pub fn shortest_match(pattern: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut out = String::new();
    write_match(&hir, &mut out)?;
    Some(out)
}

/// The longest text [`shortest_match`] makes.
const MAX_MATCH: usize = 4096;

fn write_match(hir: &Hir, out: &mut String) -> Option<()> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
        HirKind::Class(Class::Unicode(class)) => {
            let has = |c: char| {
                class
                    .ranges()
                    .iter()
                    .any(|r| (r.start()..=r.end()).contains(&c))
            };
            let plain = ('a'..='z')
                .chain('A'..='Z')
                .chain('0'..='9')
                .find(|c| has(*c));
            out.push(plain.or_else(|| class.ranges().first().map(|r| r.start()))?);
        }
        HirKind::Class(Class::Bytes(class)) => {
            let has = |b: u8| {
                class
                    .ranges()
                    .iter()
                    .any(|r| (r.start()..=r.end()).contains(&b))
            };
            let plain = (b'a'..=b'z')
                .chain(b'A'..=b'Z')
                .chain(b'0'..=b'9')
                .find(|b| has(*b));
            out.push(char::from(plain.filter(u8::is_ascii)?));
        }
        HirKind::Repetition(repetition) => {
            for _ in 0..repetition.min {
                write_match(&repetition.sub, out)?;
                if out.len() > MAX_MATCH {
                    return None;
                }
            }
        }
        HirKind::Capture(capture) => write_match(&capture.sub, out)?,
        HirKind::Concat(all) => all.iter().try_for_each(|h| write_match(h, out))?,
        HirKind::Alternation(any) => write_match(any.first()?, out)?,
    }
    Some(())
}
