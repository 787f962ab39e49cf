//! Structured logs: one JSON object per line. The library builds the events; where they go
//! (standard error, in the CLI) is the caller's choice. Events never carry request bodies,
//! plaintext or key material: only the fields given here.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::units::format_time;

/// Receives finished log lines (without the newline).
pub(crate) type Sink = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Logger {
    sink: Sink,
}

impl Logger {
    pub(crate) fn new(sink: Sink) -> Logger {
        Logger { sink }
    }

    pub(crate) fn info(&self, msg: &str, fields: &[(&str, Value)]) {
        self.emit("info", msg, fields);
    }

    pub(crate) fn error(&self, msg: &str, fields: &[(&str, Value)]) {
        self.emit("error", msg, fields);
    }

    fn emit(&self, level: &str, msg: &str, fields: &[(&str, Value)]) {
        (self.sink)(&line(SystemTime::now(), level, msg, fields));
    }
}

fn line(at: SystemTime, level: &str, msg: &str, fields: &[(&str, Value)]) -> String {
    let mut object = Map::new();
    object.insert("ts".into(), Value::String(format_time(at)));
    object.insert("level".into(), Value::String(level.into()));
    object.insert("msg".into(), Value::String(msg.into()));
    for (key, value) in fields {
        object.insert((*key).into(), value.clone());
    }
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_json_object_per_line() {
        let text = line(
            std::time::UNIX_EPOCH,
            "info",
            "request",
            &[("route", json!("/v1/verify")), ("status", json!(200))],
        );
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ts"], "1970-01-01T00:00:00Z");
        assert_eq!(v["msg"], "request");
        assert_eq!(v["status"], 200);
    }
}
