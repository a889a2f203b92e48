//! A JSON object read without building a tree: members stay raw slices of
//! the body until a field is read, and a member read as an object is parsed
//! once and kept. Identity fields are read strictly (the 400 names the
//! field's path); informational ones leniently.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::delivery::InvalidDelivery;
use crate::domain::trim;

/// An object's members, in order.
#[derive(Debug, Default)]
pub struct Object<'a> {
    members: Vec<Member<'a>>,
}

#[derive(Debug)]
struct Member<'a> {
    key: Cow<'a, str>,
    value: &'a RawValue,
    object: OnceCell<Option<Object<'a>>>,
}

impl<'a> Member<'a> {
    /// The value as an object, parsed on first use.
    fn object(&self) -> Option<&Object<'a>> {
        self.object
            .get_or_init(|| Object::parse(self.value.get()))
            .as_ref()
    }
}

impl<'a> Object<'a> {
    /// `text` as an object; `None` when it is not JSON or not an object.
    pub fn parse(text: &'a str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// A member that is present and not null.
    fn member(&self, key: &str) -> Option<&Member<'a>> {
        self.members
            .iter()
            .find(|member| member.key == key)
            .filter(|member| member.value.get() != "null")
    }

    /// A member's raw value; `None` when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a RawValue> {
        self.member(key).map(|member| member.value)
    }

    /// A member that must be an object.
    pub fn object(&self, key: &str, path: &'static str) -> Result<&Object<'a>, InvalidDelivery> {
        let member = self
            .member(key)
            .ok_or(InvalidDelivery::MissingField(path))?;
        member.object().ok_or(InvalidDelivery::InvalidField(path))
    }

    /// A member that must be a string.
    pub fn string(&self, key: &str, path: &'static str) -> Result<String, InvalidDelivery> {
        let raw = self.raw(key).ok_or(InvalidDelivery::MissingField(path))?;
        serde_json::from_str(raw.get()).map_err(|_| InvalidDelivery::InvalidField(path))
    }

    /// A member that must be an integer.
    pub fn int(&self, key: &str, path: &'static str) -> Result<i64, InvalidDelivery> {
        let raw = self.raw(key).ok_or(InvalidDelivery::MissingField(path))?;
        serde_json::from_str(raw.get()).map_err(|_| InvalidDelivery::InvalidField(path))
    }

    /// A member that must be a non-zero integer: 0 is GitHub's (and the
    /// predecessor's) "absent".
    pub fn id(&self, key: &str, path: &'static str) -> Result<i64, InvalidDelivery> {
        match self.int(key, path)? {
            0 => Err(InvalidDelivery::MissingField(path)),
            id => Ok(id),
        }
    }

    pub fn opt_object(&self, key: &str) -> Option<&Object<'a>> {
        self.member(key)?.object()
    }

    pub fn opt_string(&self, key: &str) -> Option<String> {
        serde_json::from_str(self.raw(key)?.get()).ok()
    }

    pub fn opt_int(&self, key: &str) -> Option<i64> {
        serde_json::from_str(self.raw(key)?.get()).ok()
    }

    pub fn opt_time(&self, key: &str) -> Option<DateTime<Utc>> {
        let text: Cow<'_, str> = serde_json::from_str(self.raw(key)?.get()).ok()?;
        DateTime::parse_from_rfc3339(&text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// A member that, when present, must be an array of strings.
    pub fn strings(&self, key: &str, path: &'static str) -> Result<Vec<String>, InvalidDelivery> {
        match self.raw(key) {
            None => Ok(Vec::new()),
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|_| InvalidDelivery::InvalidField(path))
            }
        }
    }

    /// The object as JSON text, trimmed by the rule of docs/behaviour.md, "Stored payloads"
    /// ([`trim::is_dropped`]); untouched members are copied as received.
    pub fn trimmed(&self) -> String {
        let size = self
            .members
            .iter()
            .map(|m| m.key.len() + m.value.get().len() + 4)
            .sum();
        let mut out = String::with_capacity(size);
        self.write_trimmed(&[], &mut out);
        out
    }

    fn write_trimmed(&self, path: &[&str], out: &mut String) {
        out.push('{');
        let mut first = true;
        for member in &self.members {
            let key = member.key.as_ref();
            if trim::is_dropped(path, key) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&serde_json::to_string(key).expect("a string serialises"));
            out.push(':');
            match Some(member)
                .filter(|_| trim::descends(path, key))
                .and_then(Member::object)
            {
                Some(object) => {
                    let mut inner = path.to_vec();
                    inner.push(key);
                    object.write_trimmed(&inner, out);
                }
                None => out.push_str(member.value.get()),
            }
        }
        out.push('}');
    }
}

/// A member name, borrowed from the body unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    members.push(Member {
                        key,
                        value,
                        object: OnceCell::new(),
                    });
                }
                Ok(Object { members })
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::Object;
    use crate::domain::trim::trim_workflow_job;

    #[test]
    fn the_raw_writer_trims_exactly_like_the_tree_rule() {
        let body = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/workflow_job.in_progress.with-queued-steps.json"
        ))
        .unwrap();
        let fast: Value = serde_json::from_str(&Object::parse(&body).unwrap().trimmed()).unwrap();
        let mut tree: Value = serde_json::from_str(&body).unwrap();
        trim_workflow_job(&mut tree);
        assert_eq!(fast, tree);
        assert!(fast["workflow_job"].get("steps").is_none());
    }

    #[test]
    fn escaped_names_and_values_survive() {
        let body = r#"{"a\"b": "x\ny", "repository": {"html_url": "h", "na\u006de": "r"}}"#;
        let trimmed: Value = serde_json::from_str(&Object::parse(body).unwrap().trimmed()).unwrap();
        assert_eq!(
            trimmed,
            json!({"a\"b": "x\ny", "repository": {"name": "r"}})
        );
    }

    #[test]
    fn only_objects_parse() {
        for text in ["[]", "1", "\"s\"", "", "{", "null"] {
            assert!(Object::parse(text).is_none(), "{text:?}");
        }
        assert!(Object::parse(" { } ").is_some());
    }
}
