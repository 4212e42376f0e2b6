//! The browser's clock and time zone (the only UI code that reads them).

/// Seconds since the Unix epoch, from the browser's clock.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The browser's UTC offset in minutes east of UTC at the instant `micros` (DST-aware).
pub fn local_offset_minutes(micros: i64) -> i32 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((micros / 1000) as f64));
    -(date.get_timezone_offset() as i32)
}

/// `UTC+01:00`, the zone list times are shown in.
pub fn local_zone_label() -> String {
    let offset = local_offset_minutes((js_sys::Date::now() * 1000.0) as i64);
    format!("UTC{}", crate::format::format_offset(offset))
}
