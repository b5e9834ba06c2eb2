//! A read-only view of parsed JSON, so one set of parsers serves two worlds.
//!
//! In the browser the component reads `JSON.parse` results (and the structured-clone
//! data of `postMessage`) through [`wasm_bindgen::JsValue`]: no JSON parser is shipped
//! in the wasm, which is most of why the component is small. Natively (unit tests,
//! property tests, fuzzers) the same parsers read [`serde_json::Value`].

use wasm_bindgen::JsValue;

/// What the parsers need from a JSON value.
pub trait JsonView: Sized {
    /// The field `key` of an object; `None` if this is not an object or has no such field.
    fn field(&self, key: &str) -> Option<Self>;
    /// The value as a string, if it is one.
    fn string(&self) -> Option<String>;
    /// The value as a number, if it is one.
    fn number(&self) -> Option<f64>;
    /// The value as a boolean, if it is one.
    fn boolean(&self) -> Option<bool>;
    /// Whether the value is a plain object (not an array, not null).
    fn is_object(&self) -> bool;
    /// The value as JSON text; `None` if it cannot be serialized (e.g. a cycle).
    fn to_json(&self) -> Option<String>;
}

impl JsonView for JsValue {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        let value = js_sys::Reflect::get(self, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined()).then_some(value)
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_object(&self) -> bool {
        self.is_object() && !js_sys::Array::is_array(self)
    }

    fn to_json(&self) -> Option<String> {
        js_sys::JSON::stringify(self).ok()?.as_string()
    }
}

impl JsonView for serde_json::Value {
    fn field(&self, key: &str) -> Option<Self> {
        self.as_object()?.get(key).cloned()
    }

    fn string(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_object(&self) -> bool {
        self.is_object()
    }

    fn to_json(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }
}
