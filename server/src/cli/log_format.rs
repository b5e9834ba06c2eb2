//! The text log line, in the bytes of `tracing-subscriber`'s default format without
//! colours (`Format<Full>` and `DefaultFields`, ANSI off: what the binary writes when
//! stderr is not a terminal), by a shorter path.
//!
//! Why: the access line is written for every request, and the default formatter pays for
//! generality it has no use for here: colour styles that paint nothing, `{:?}` on every
//! string field (a per-character printability check), the message escaped a character
//! at a time, a span's fields written into an empty `String` a piece at a time (see
//! [`Staged`]). `bench/instructions` counted about 21,000 instructions a request for the
//! span and the access line, the largest part of what `moments-par` spends beyond a bare
//! proxy. The tests below hold the output to the default formatter's, byte for byte;
//! anything off the fast paths (a string that needs escaping, an error with sources, a
//! `Debug` value) is handed to `DefaultFields` itself.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::time::UNIX_EPOCH;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// `Format<Full>` with ANSI off: `{time} {LEVEL} {span{fields}:}… {target}: {fields}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainText;

impl<S, N> FormatEvent<S, N> for PlainText
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if write_now(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        let meta = event.metadata();
        writer.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                seen = true;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    writer.write_char('{')?;
                    writer.write_str(fields)?;
                    writer.write_char('}')?;
                }
                writer.write_char(':')?;
            }
            if seen {
                writer.write_char(' ')?;
            }
        }
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// The time as tracing-subscriber's `SystemTime` writes it (RFC 3339 in UTC, with
/// microseconds), with the part down to the second formatted once a second per thread:
/// `write!` of seven numbers was 2,000 instructions a line (`bench/instructions`).
fn write_now(writer: &mut Writer<'_>) -> fmt::Result {
    thread_local! {
        /// The second last written, and its `YYYY-MM-DDTHH:MM:SS.`
        static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
    }
    let Ok(since) = std::time::SystemTime::now().duration_since(UNIX_EPOCH) else {
        return SystemTime.format_time(writer);
    };
    let secs = since.as_secs();
    let (cached, mut prefix) = SECOND.get();
    if cached != secs {
        match second_prefix(secs) {
            Some(formatted) => prefix = formatted,
            // Past the year 9999: the general formatter's `+` form.
            None => return SystemTime.format_time(writer),
        }
        SECOND.set((secs, prefix));
    }
    let mut text = [0_u8; 27];
    text[..20].copy_from_slice(&prefix);
    put_digits(&mut text[20..26], since.subsec_micros());
    text[26] = b'Z';
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// `YYYY-MM-DDTHH:MM:SS.` for `secs` after the epoch; `None` past the year 9999.
fn second_prefix(secs: u64) -> Option<[u8; 20]> {
    let (year, month, day) = civil_date(secs / 86_400);
    if year > 9999 {
        return None;
    }
    let time = secs % 86_400;
    let mut out = *b"0000-00-00T00:00:00.";
    // Each value fits its field: year <= 9999, the others below 100.
    #[allow(clippy::cast_possible_truncation)]
    {
        put_digits(&mut out[0..4], year as u32);
        put_digits(&mut out[5..7], month);
        put_digits(&mut out[8..10], day);
        put_digits(&mut out[11..13], (time / 3600) as u32);
        put_digits(&mut out[14..16], (time / 60 % 60) as u32);
        put_digits(&mut out[17..19], (time % 60) as u32);
    }
    Some(out)
}

/// The proleptic Gregorian date (year, month, day) `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days that are not negative).
fn civil_date(days: u64) -> (u64, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Below 32 and 13: the casts cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    #[allow(clippy::cast_possible_truncation)]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + u64::from(month <= 2), month, day)
}

/// `value` in decimal, zero-padded to fill `out` (its high digits dropped if too long).
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        // `value % 10` is below 10.
        #[allow(clippy::cast_possible_truncation)]
        let d = (value % 10) as u8;
        *digit = b'0' + d;
        value /= 10;
    }
}

/// `DefaultFields` without colour, with strings, integers and booleans written without
/// `{:?}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer: Staged::new(writer),
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result.and_then(|()| visitor.writer.flush())
    }
}

/// The pieces of a field list gathered on the stack, and handed on in one write.
///
/// Why: a span's fields are written into a fresh, empty `String` (tracing-subscriber's
/// `FormattedFields`), a piece at a time: the request span's ~170 bytes made it grow
/// five times, about 1,000 instructions a request (`bench/instructions`). In one
/// write, it is allocated once, at its size.
struct Staged<'a> {
    out: Writer<'a>,
    buf: [u8; 256],
    len: usize,
}

impl<'a> Staged<'a> {
    fn new(out: Writer<'a>) -> Self {
        Self {
            out,
            buf: [0; 256],
            len: 0,
        }
    }

    /// Hands on what is gathered; then `out` may be written to directly.
    fn flush(&mut self) -> fmt::Result {
        let gathered = self.buf.get(..self.len).unwrap_or_default();
        self.len = 0;
        match std::str::from_utf8(gathered) {
            Ok("") => Ok(()),
            Ok(text) => self.out.write_str(text),
            // Whole `str`s only ever go in: it cannot fail.
            Err(_) => Err(fmt::Error),
        }
    }
}

impl fmt::Write for Staged<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if let Some(room) = self.buf.get_mut(self.len..end) {
            room.copy_from_slice(s.as_bytes());
            self.len = end;
            return Ok(());
        }
        self.flush()?;
        self.out.write_str(s)
    }
}

struct Visitor<'a> {
    writer: Staged<'a>,
    /// Nothing written yet (so no separating space before the next field).
    empty: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    /// Writes `name=` after the separating space (`r#` dropped, as `DefaultVisitor` does).
    fn name(&mut self, field: &Field) -> fmt::Result {
        if !std::mem::take(&mut self.empty) {
            self.writer.write_char(' ')?;
        }
        let name = field.name();
        self.writer
            .write_str(name.strip_prefix("r#").unwrap_or(name))?;
        self.writer.write_char('=')
    }

    /// Writes `name=text`, for a value `{:?}` writes as it is (numbers, booleans).
    fn unquoted(&mut self, field: &Field, text: &str) {
        if self.result.is_ok() {
            self.result = self.name(field).and_then(|()| self.writer.write_str(text));
        }
    }

    /// Hands one field to `DefaultVisitor`, for the cases it alone knows how to write.
    fn default(&mut self, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if let Err(error) = self.writer.flush() {
            self.result = Err(error);
            return;
        }
        let mut visitor = DefaultVisitor::new(self.writer.out.by_ref(), self.empty);
        record(&mut visitor);
        self.result = visitor.finish();
        self.empty = false;
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        // `{:?}` of a str quotes it and escapes `"`, `\`, controls and anything not
        // printable; printable ASCII otherwise comes out as it is.
        let plain = value
            .bytes()
            .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\');
        if field.name() == "message" || !plain {
            return self.default(|v| v.record_str(field, value));
        }
        self.result = self.name(field).and_then(|()| {
            self.writer.write_char('"')?;
            self.writer.write_str(value)?;
            self.writer.write_char('"')
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.unquoted(field, itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.unquoted(field, itoa::Buffer::new().format(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.unquoted(field, if value { "true" } else { "false" });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.result.is_err() {
            return;
        }
        self.default(|v| v.record_error(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        if field.name() != "message" {
            // What `DefaultVisitor` writes without colour: `name=` and the value's `{:?}`.
            self.result = self
                .name(field)
                .and_then(|()| write!(self.writer, "{value:?}"));
            return;
        }
        // The message, with terminal escape sequences escaped (as `DefaultVisitor`
        // does), a chunk at a time rather than a character at a time.
        if !std::mem::take(&mut self.empty) {
            self.result = self.writer.write_char(' ');
        }
        self.result = self
            .result
            .and_then(|()| write!(Sanitized(&mut self.writer), "{value:?}"));
    }
}

/// Escapes what a terminal would act on, as `tracing-subscriber`'s `EscapingWriter`:
/// ESC, BEL, BS, FF, DEL and the C1 controls (U+0080 to U+009F).
struct Sanitized<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Sanitized<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // C1 controls are encoded as 0xC2 0x80..=0x9F in UTF-8: a chunk without 0xC2 and
        // without the five C0 controls needs nothing escaped.
        if !s
            .bytes()
            .any(|b| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            match c {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                '\u{80}'..='\u{9f}' => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Sink {
        type Writer = Sink;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Outer(&'static str);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Outer {}

    #[derive(Debug)]
    struct WithSource(Outer);
    impl fmt::Display for WithSource {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer")
        }
    }
    impl std::error::Error for WithSource {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Every kind of field, in spans and events, plain and in need of escaping.
    fn log_everything() {
        // Longer than `Staged` gathers: written around it.
        let long = "0123456789".repeat(30);
        let span = tracing::info_span!(
            "request",
            method = %"POST",
            route = "/api/moments/session",
            r#type = "raw name",
            quoted = "say \"hi\" \\ there",
            unicode = "ünïcødé ✓",
            control = "tab\tand\u{1b}[31m",
            empty = "",
            long = long.as_str(),
            tenant = tracing::field::Empty,
            count = tracing::field::Empty,
        );
        let _entered = span.enter();
        span.record("tenant", "acme");
        span.record("count", 7_u64);
        let inner = tracing::warn_span!("inner");
        let _inner = inner.enter();
        tracing::info!(
            latency = %format_args!("{} ms", 3),
            status = 200_u16,
            big = u64::MAX,
            negative = -42_i64,
            min = i64::MIN,
            zero = 0_u64,
            yes = true,
            no = false,
            ratio = 0.5_f64,
            debugged = ?Some("x"),
            "finished processing request"
        );
        tracing::warn!("a message with \u{1b}[31m colour and \u{85} a C1 control");
        tracing::error!(
            error = &WithSource(Outer("inner")) as &(dyn std::error::Error + 'static),
            "failed"
        );
        tracing::error!(error = &Outer("alone") as &(dyn std::error::Error + 'static));
        tracing::debug!(message = "a message as a str field", extra = "x");
        tracing::info!(
            first = "a",
            long = long.as_str(),
            then = 1_u64,
            "after a long one"
        );
        tracing::trace!("{} formatted {}", "at", 2);
    }

    /// What the default formatter writes, with the same (fixed) clock.
    fn render(plain: bool) -> String {
        struct Noon;
        impl FormatTime for Noon {
            fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
                w.write_str("2026-12-04T12:00:00.000000Z")
            }
        }
        let sink = Sink::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(sink.clone())
            .with_ansi(false)
            .with_max_level(Level::TRACE);
        if plain {
            let subscriber = builder
                .fmt_fields(PlainFields)
                .event_format(PlainText)
                .finish();
            tracing::subscriber::with_default(subscriber, log_everything);
        } else {
            let subscriber = builder.with_timer(Noon).finish();
            tracing::subscriber::with_default(subscriber, log_everything);
        }
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        // PlainText reads the real clock: put the fixed time in its place.
        text.lines()
            .map(|line| {
                let (time, rest) = line.split_at(27);
                assert!(time.ends_with('Z'), "{line}");
                format!("2026-12-04T12:00:00.000000Z{rest}\n")
            })
            .collect()
    }

    #[test]
    fn the_plain_format_writes_what_the_default_one_does() {
        let default = render(false);
        let plain = render(true);
        assert_eq!(plain, default);
        // And the cases are all there (a test that compares two empty logs proves little).
        assert_eq!(default.lines().count(), 7, "{default}");
        for expected in [
            "request{method=POST route=\"/api/moments/session\" type=\"raw name\"",
            "quoted=\"say \\\"hi\\\" \\\\ there\"",
            "tenant=\"acme\" count=7}:inner: ",
            "status=200 big=18446744073709551615 negative=-42 min=-9223372036854775808",
            "\\x1b[31m colour and \\u{85} a C1",
            "error=outer error.sources=[inner]",
            " TRACE ",
            "empty=\"\" long=\"0123456789012",
            "78901234567890123456789\" tenant=\"acme\"",
            "first=\"a\" long=\"0123456789",
            "56789\" then=1",
        ] {
            assert!(default.contains(expected), "{expected} in {default}");
        }
    }

    #[test]
    fn the_clock_writes_what_the_default_one_does() {
        // Against an independent formatter (HTTP dates) over 300 years of seconds,
        // leap days and century years included.
        let mut secs = 0_u64;
        while secs < 300 * 365 * 86_400 {
            let prefix = second_prefix(secs).unwrap();
            let prefix = std::str::from_utf8(&prefix).unwrap();
            let http = httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(secs));
            // "Thu, 01 Jan 1970 00:00:00 GMT" against "1970-01-01T00:00:00."
            let month = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .iter()
            .position(|m| *m == &http[8..11])
            .unwrap()
                + 1;
            let expected = format!(
                "{}-{month:02}-{}T{}.",
                &http[12..16],
                &http[5..7],
                &http[17..25]
            );
            assert_eq!(prefix, expected, "{secs}");
            secs += 86_400 * 29 + 3_607;
        }
        for (secs, expected) in [
            (0, "1970-01-01T00:00:00."),
            (951_782_400, "2000-02-29T00:00:00."),
            (4_107_542_399, "2100-02-28T23:59:59."),
            (4_107_542_400, "2100-03-01T00:00:00."),
            (253_402_300_799, "9999-12-31T23:59:59."),
        ] {
            assert_eq!(
                std::str::from_utf8(&second_prefix(secs).unwrap()).unwrap(),
                expected
            );
        }
        assert!(
            second_prefix(253_402_300_800).is_none(),
            "the year 10000 goes the long way"
        );

        // And now, as both write it (again if a second turned between the two).
        for _ in 0..3 {
            let (mut ours, mut theirs) = (String::new(), String::new());
            write_now(&mut Writer::new(&mut ours)).unwrap();
            SystemTime
                .format_time(&mut Writer::new(&mut theirs))
                .unwrap();
            assert_eq!(ours.len(), 27, "{ours}");
            assert!(ours.ends_with('Z'));
            if ours[..19] == theirs[..19] {
                return;
            }
        }
        panic!("the two clocks never agreed to the second");
    }
}
