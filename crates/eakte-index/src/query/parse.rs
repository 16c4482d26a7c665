//! The parser of the query language: words, phrases, `AND`/`OR`/`NOT`/`-`, parentheses,
//! `field:value`, prefixes (`Anmeld*`), fuzzy terms (`Meldebescheinigng~`) and date ranges.

use chrono::NaiveDate;

use crate::error::IndexError;
pub(crate) use crate::query::ast::{
    DateField, KeywordField, Node, PlanMatch, Scope, TextTerm, parse_plan,
};

/// Parentheses and negations may nest this deep; deeper queries are refused so that neither
/// the parser nor the query tree can exhaust the stack.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Bare(String),
    Quoted(String),
    Range(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Open,
    Close,
    Minus,
    Bare(String),
    Quoted(String),
    Field {
        name: String,
        value: Value,
        value_pos: usize,
    },
}

fn is_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

/// Splits the query into lexemes with their byte positions.
fn lex(src: &str) -> Result<Vec<(Lex, usize)>, IndexError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(c) = src[pos..].chars().next() {
        if c.is_whitespace() {
            pos += c.len_utf8();
            continue;
        }
        let next_is_word = src[pos + c.len_utf8()..]
            .chars()
            .next()
            .is_some_and(|n| !n.is_whitespace());
        pos = match c {
            '(' => {
                out.push((Lex::Open, pos));
                pos + 1
            }
            ')' => {
                out.push((Lex::Close, pos));
                pos + 1
            }
            '"' => {
                let (text, end) = quoted(src, pos)?;
                out.push((Lex::Quoted(text), pos));
                end
            }
            '-' if next_is_word => {
                out.push((Lex::Minus, pos));
                pos + 1
            }
            _ => {
                let end = bare_end(src, pos);
                let word = &src[pos..end];
                let field_len = word.bytes().take_while(u8::is_ascii_alphabetic).count();
                if field_len > 0 && src.as_bytes().get(pos + field_len) == Some(&b':') {
                    let name = word[..field_len].to_ascii_lowercase();
                    let value_pos = pos + field_len + 1;
                    let (value, next) = field_value(src, value_pos)?;
                    out.push((
                        Lex::Field {
                            name,
                            value,
                            value_pos,
                        },
                        pos,
                    ));
                    next
                } else {
                    out.push((Lex::Bare(word.to_owned()), pos));
                    end
                }
            }
        };
    }
    Ok(out)
}

/// The end of a bare word starting at `pos`.
fn bare_end(src: &str, pos: usize) -> usize {
    src[pos..]
        .char_indices()
        .find(|&(_, c)| is_break(c))
        .map_or(src.len(), |(i, _)| pos + i)
}

/// A quoted phrase starting at the quote at `pos`: its text and the position after it.
fn quoted(src: &str, pos: usize) -> Result<(String, usize), IndexError> {
    match src[pos + 1..].find('"') {
        Some(i) => Ok((src[pos + 1..pos + 1 + i].to_owned(), pos + i + 2)),
        None => Err(IndexError::query("unclosed quotation mark", pos)),
    }
}

/// The value after `field:` and the position after it.
fn field_value(src: &str, pos: usize) -> Result<(Value, usize), IndexError> {
    match src[pos..].chars().next() {
        Some('"') => {
            let (text, end) = quoted(src, pos)?;
            Ok((Value::Quoted(text), end))
        }
        Some('[') => match src[pos..].find(']') {
            Some(i) => Ok((Value::Range(src[pos + 1..pos + i].to_owned()), pos + i + 1)),
            None => Err(IndexError::query("unclosed range bracket", pos)),
        },
        Some(c) if !is_break(c) => {
            let end = bare_end(src, pos);
            Ok((Value::Bare(src[pos..end].to_owned()), end))
        }
        _ => Err(IndexError::query("missing value after field name", pos)),
    }
}

struct Parser {
    lexemes: Vec<(Lex, usize)>,
    next: usize,
    len: usize,
}

/// Parses a query into its syntax tree.
pub(crate) fn parse(src: &str) -> Result<Node, IndexError> {
    let lexemes = lex(src)?;
    if lexemes.is_empty() {
        return Err(IndexError::query("empty query", 0));
    }
    let mut parser = Parser {
        lexemes,
        next: 0,
        len: src.len(),
    };
    let node = parser.or(0)?;
    match parser.peek() {
        None => Ok(node),
        Some((_, pos)) => Err(IndexError::query("unmatched closing parenthesis", pos)),
    }
}

impl Parser {
    fn peek(&self) -> Option<(&Lex, usize)> {
        self.lexemes.get(self.next).map(|(l, p)| (l, *p))
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some((Lex::Bare(w), _)) if w == op)
    }

    fn or(&mut self, depth: usize) -> Result<Node, IndexError> {
        let mut items = vec![self.and(depth)?];
        while self.is_op("OR") {
            self.next += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Node, IndexError> {
        let mut items = vec![self.unary(depth)?];
        loop {
            match self.peek() {
                None | Some((Lex::Close, _)) => break,
                Some((Lex::Bare(w), _)) if w == "OR" => break,
                Some((Lex::Bare(w), _)) if w == "AND" => self.next += 1,
                _ => {}
            }
            items.push(self.unary(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, IndexError> {
        if depth > MAX_DEPTH {
            let pos = self.peek().map_or(self.len, |(_, p)| p);
            return Err(IndexError::query("query nested too deeply", pos));
        }
        match self.peek() {
            Some((Lex::Minus, _)) => {
                self.next += 1;
                Ok(Node::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some((Lex::Bare(w), _)) if w == "NOT" => {
                self.next += 1;
                Ok(Node::Not(Box::new(self.unary(depth + 1)?)))
            }
            _ => self.primary(depth),
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Node, IndexError> {
        let Some((lexeme, pos)) = self.lexemes.get(self.next).cloned() else {
            return Err(IndexError::query("expected a search term", self.len));
        };
        self.next += 1;
        match lexeme {
            Lex::Open => {
                let node = self.or(depth + 1)?;
                match self.peek() {
                    Some((Lex::Close, _)) => {
                        self.next += 1;
                        Ok(node)
                    }
                    _ => Err(IndexError::query("unclosed parenthesis", pos)),
                }
            }
            Lex::Close => Err(IndexError::query("expected a search term before ')'", pos)),
            Lex::Minus => Err(IndexError::query("expected a search term", pos)),
            Lex::Bare(w) if w == "AND" || w == "OR" => Err(IndexError::query(
                format!("operator {w} needs a search term on both sides"),
                pos,
            )),
            Lex::Bare(w) => text_term(Scope::All, &w, pos),
            Lex::Quoted(p) => Ok(Node::Text {
                scope: Scope::All,
                term: TextTerm::Phrase(p),
                pos,
            }),
            Lex::Field {
                name,
                value,
                value_pos,
            } => field(&name, value, pos, value_pos),
        }
    }
}

/// A bare word: plain, prefix (`word*`) or fuzzy (`word~`, `word~2`).
fn text_term(scope: Scope, w: &str, pos: usize) -> Result<Node, IndexError> {
    let term = if let Some((word, distance)) = w.rsplit_once('~') {
        let distance = match distance {
            "" | "1" => 1,
            "2" => 2,
            _ => {
                return Err(IndexError::query(
                    "fuzzy distance must be 1 or 2 (word~ or word~2)",
                    pos + word.len(),
                ));
            }
        };
        check_plain(word, pos)?;
        TextTerm::Fuzzy(word.to_owned(), distance)
    } else if let Some(word) = w.strip_suffix('*') {
        check_plain(word, pos)?;
        TextTerm::Prefix(word.to_owned())
    } else {
        check_plain(w, pos)?;
        TextTerm::Word(w.to_owned())
    };
    Ok(Node::Text { scope, term, pos })
}

fn check_plain(word: &str, pos: usize) -> Result<(), IndexError> {
    if let Some(i) = word.find(['*', '~']) {
        return Err(IndexError::query(
            "'*' and '~' are only allowed at the end of a word",
            pos + i,
        ));
    }
    if word.is_empty() {
        return Err(IndexError::query(
            "'*' and '~' need a word before them",
            pos,
        ));
    }
    Ok(())
}

fn field(name: &str, value: Value, pos: usize, value_pos: usize) -> Result<Node, IndexError> {
    let bad = |message: String| Err(IndexError::query(message, value_pos));
    let plain = |value: &Value| match value {
        Value::Bare(v) | Value::Quoted(v) => Ok(v.clone()),
        Value::Range(_) => Err(IndexError::query(
            format!("field {name} takes no range"),
            value_pos,
        )),
    };
    match name {
        "title" | "text" => {
            let scope = if name == "title" {
                Scope::Title
            } else {
                Scope::Text
            };
            match value {
                Value::Bare(w) => text_term(scope, &w, value_pos),
                Value::Quoted(p) => Ok(Node::Text {
                    scope,
                    term: TextTerm::Phrase(p),
                    pos: value_pos,
                }),
                Value::Range(_) => bad(format!("field {name} takes no range")),
            }
        }
        "az" => Ok(Node::Az(plain(&value)?)),
        "plan" => match parse_plan(&plain(&value)?) {
            Ok((code, kind)) => Ok(Node::Plan(code, kind)),
            Err(message) => bad(message),
        },
        "type" => Ok(Node::Keyword(KeywordField::Type, plain(&value)?)),
        "unit" => Ok(Node::Keyword(KeywordField::Unit, plain(&value)?)),
        "lang" => Ok(Node::Keyword(KeywordField::Lang, plain(&value)?)),
        "status" => {
            // The index spells a status as AkteStatus does, and unfiled documents `inbox`.
            let v = plain(&value)?.to_ascii_lowercase();
            if v == crate::schema::INBOX || v.parse::<eakte_types::AkteStatus>().is_ok() {
                Ok(Node::Keyword(KeywordField::Status, v))
            } else {
                bad(format!("{v:?} is not a status (open, closed or inbox)"))
            }
        }
        "conf" => match plain(&value)?.to_ascii_lowercase().parse() {
            Ok(level) => Ok(Node::Conf(level)),
            Err(_) => bad("confidentiality must be offen, nfd or vertraulich".to_owned()),
        },
        "received" | "filed" => {
            let field = if name == "received" {
                DateField::Received
            } else {
                DateField::Filed
            };
            let (from, to) = match value {
                Value::Range(r) => range(&r, value_pos + 1)?,
                other => {
                    let d = date(&plain(&other)?, value_pos)?;
                    (Some(d), Some(d))
                }
            };
            Ok(Node::Date { field, from, to })
        }
        _ => Err(IndexError::query(
            format!(
                "unknown field {name:?} (known: title, text, az, plan, type, unit, lang, status, \
                 conf, received, filed)"
            ),
            pos,
        )),
    }
}

fn date(text: &str, pos: usize) -> Result<NaiveDate, IndexError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| IndexError::query(format!("{text:?} is not a date (YYYY-MM-DD)"), pos))
}

/// `FROM TO UNTIL` inside brackets, either end `*`; `pos` is where the inside starts.
fn range(inside: &str, pos: usize) -> Result<(Option<NaiveDate>, Option<NaiveDate>), IndexError> {
    let words: Vec<(usize, &str)> = inside
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - inside.as_ptr() as usize + pos, w))
        .collect();
    let [(from_pos, from), (_, "TO"), (to_pos, to)] = words.as_slice() else {
        return Err(IndexError::query(
            "a range is written [FROM TO UNTIL], such as [2026-01-01 TO *]",
            pos,
        ));
    };
    let end = |text: &str, at: usize| -> Result<Option<NaiveDate>, IndexError> {
        if text == "*" {
            Ok(None)
        } else {
            date(text, at).map(Some)
        }
    };
    let (from, to) = (end(from, *from_pos)?, end(to, *to_pos)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(IndexError::query("range starts after it ends", pos));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str, pos: usize) -> Node {
        Node::Text {
            scope: Scope::All,
            term: TextTerm::Word(w.to_owned()),
            pos,
        }
    }

    #[test]
    fn words_are_anded_and_or_binds_looser() {
        assert_eq!(
            parse("a b OR c").unwrap(),
            Node::Or(vec![
                Node::And(vec![word("a", 0), word("b", 2)]),
                word("c", 7)
            ])
        );
    }

    #[test]
    fn negation_forms() {
        let expected = Node::And(vec![word("a", 0), Node::Not(Box::new(word("b", 3)))]);
        assert_eq!(parse("a -b").unwrap(), expected);
        let not = parse("a NOT b").unwrap();
        assert!(matches!(not, Node::And(ref v) if matches!(v[1], Node::Not(_))));
    }

    #[test]
    fn fields_and_ranges() {
        assert_eq!(
            parse("plan:33.*").unwrap(),
            Node::Plan("33".into(), PlanMatch::WithChildren)
        );
        let Node::Date { from, to, .. } = parse("received:[2026-01-01 TO *]").unwrap() else {
            panic!("not a date node");
        };
        assert_eq!(from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(to, None);
        assert!(matches!(
            parse("title:\"a b\"").unwrap(),
            Node::Text {
                scope: Scope::Title,
                term: TextTerm::Phrase(_),
                ..
            }
        ));
    }

    #[test]
    fn errors_carry_positions() {
        let pos = |q: &str| match parse(q) {
            Err(IndexError::Query { position, .. }) => position,
            other => panic!("{q:?}: {other:?}"),
        };
        assert_eq!(pos("a (b"), 2);
        assert_eq!(pos("a \"b"), 2);
        assert_eq!(pos("a foo:b"), 2);
        assert_eq!(pos("received:2026-13-01"), 9);
        assert_eq!(pos("a b)"), 3);
        assert_eq!(pos("   "), 0);
        assert_eq!(pos("received:[2026-01-01 TO x]"), 24);
    }
}
