//! Where the binary's log lines go: stderr, written in batches.
//!
//! A request formats its line and appends it to a shared buffer (one short lock); a thread
//! of its own writes the buffer out every [`INTERVAL`]. So a busy server makes one
//! `write(2)` per interval instead of one per line, no request waits on a slow stderr (a
//! pipe to a busy log shipper), and nothing wakes a thread per line. `tracing-appender`'s
//! non-blocking writer, which this replaces, wakes its thread for nearly every line at
//! moderate rates: at a fixed 4,000 req/s this writer took the server's CPU per request
//! from 134 to 124 µs (medians of 8 interleaved runs each; `bench/README.md`).
//!
//! Nothing is dropped: past [`HIGH_WATER`] bytes the request that finds the buffer full
//! writes it out itself. Warnings and errors are written out at once, with everything
//! before them, so the lines that explain a crash are on stderr before it. What a hard
//! kill (`SIGKILL`) can lose is at most one interval of info lines; a normal stop
//! (`SIGTERM`, Ctrl-C, the end of `main`) writes everything out through [`Flush`].

use std::io::{self, Write};
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How often the writer thread writes the buffer out.
pub const INTERVAL: Duration = Duration::from_millis(20);

/// The buffer size at which the request adding a line writes it out itself.
pub const HIGH_WATER: usize = 256 * 1024;

/// Batches lines for `W` (stderr in the binary); see the module docs.
pub struct BatchedWriter<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
}

/// Writes out what is left and stops the writer thread when dropped: hold it until the
/// end of `main`.
#[must_use = "dropping it stops the writer thread"]
pub struct Flush<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared<W> {
    /// Lines not yet written.
    pending: Mutex<Vec<u8>>,
    /// The destination. Taken before `pending` by whoever writes out, so chunks reach it
    /// in the order they were appended.
    out: Mutex<W>,
    /// Set (and signalled) when the writer thread should write out and stop.
    stop: Mutex<bool>,
    wake: Condvar,
}

impl<W: Write + Send + 'static> BatchedWriter<W> {
    /// A writer for `out`, and the guard that flushes it at the end.
    pub fn new(out: W) -> io::Result<(Self, Flush<W>)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Vec::with_capacity(HIGH_WATER)),
            out: Mutex::new(out),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("moments-par-log".into())
            .spawn(move || worker.run())?;
        let writer = Self {
            shared: Arc::clone(&shared),
        };
        Ok((
            writer,
            Flush {
                shared,
                thread: Some(thread),
            },
        ))
    }
}

impl<W: Write + Send> Shared<W> {
    fn run(&self) {
        let mut stop = lock(&self.stop);
        loop {
            let (guard, _) = self
                .wake
                .wait_timeout(stop, INTERVAL)
                .unwrap_or_else(PoisonError::into_inner);
            stop = guard;
            let stopping = *stop;
            drop(stop);
            self.write_out();
            if stopping {
                return;
            }
            stop = lock(&self.stop);
        }
    }

    /// Writes every pending line to `out`. A failed write to stderr has nowhere to be
    /// reported, so it is ignored (as `eprintln!` would panic instead).
    fn write_out(&self) {
        let mut out = lock(&self.out);
        let chunk = mem::take(&mut *lock(&self.pending));
        if !chunk.is_empty() {
            let _ = out.write_all(&chunk);
            let _ = out.flush();
        }
        drop(out);
        // Hand the allocation back, so the steady state allocates nothing.
        let mut pending = lock(&self.pending);
        if pending.is_empty() && chunk.capacity() <= HIGH_WATER * 2 {
            let mut chunk = chunk;
            chunk.clear();
            *pending = chunk;
        }
    }

    fn append(&self, line: &[u8], urgent: bool) {
        let full = {
            let mut pending = lock(&self.pending);
            pending.extend_from_slice(line);
            pending.len() >= HIGH_WATER
        };
        if urgent || full {
            self.write_out();
        }
    }
}

impl<W: Write + Send + 'static> Drop for Flush<W> {
    fn drop(&mut self) {
        *lock(&self.shared.stop) = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.write_out();
    }
}

/// One line (tracing-subscriber formats a whole line, then writes it once).
pub struct Line<'a, W: Write + Send + 'static> {
    shared: &'a Shared<W>,
    urgent: bool,
}

impl<W: Write + Send + 'static> Write for Line<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.shared.append(buf, self.urgent);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + Send + 'static> MakeWriter<'a> for BatchedWriter<W> {
    type Writer = Line<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
            urgent: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        Line {
            shared: &self.shared,
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

/// Logging must not stop because a thread panicked while holding a lock.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A destination the test can read, shared with the writer.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).clone()).unwrap()
        }
    }

    #[test]
    fn lines_arrive_in_order_within_an_interval_and_all_of_them_at_the_end() {
        let sink = Sink::default();
        let (writer, flush) = BatchedWriter::new(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let shared = Arc::clone(&writer.shared);
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        shared.append(format!("{t} {i}\n").as_bytes(), false);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // Written by the thread, not by the drop: within a few intervals.
        let started = Instant::now();
        while sink.text().lines().count() < 4000 {
            assert!(started.elapsed() < INTERVAL * 50, "not written out in time");
            std::thread::sleep(INTERVAL / 4);
        }
        writer.shared.append(b"last\n", false);
        drop(flush);
        let text = sink.text();
        assert_eq!(text.lines().count(), 4001);
        assert!(text.ends_with("last\n"));
        for t in 0..4 {
            let mine: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|i| i.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..1000).collect::<Vec<_>>(), "thread {t} in order");
        }
    }

    #[test]
    fn a_warning_is_written_at_once_with_everything_before_it() {
        let sink = Sink::default();
        let (writer, _flush) = BatchedWriter::new(sink.clone()).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("an info line");
            tracing::warn!("a warning");
        });
        // No wait: the warning wrote out the buffer before `warn!` returned.
        let text = sink.text();
        assert!(
            text.contains("INFO") && text.contains("an info line"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("a warning"), "{text}");
    }

    #[test]
    fn a_full_buffer_is_written_by_the_line_that_fills_it() {
        let sink = Sink::default();
        let (writer, _flush) = BatchedWriter::new(sink.clone()).unwrap();
        let line = vec![b'x'; HIGH_WATER];
        writer.make_writer().write_all(&line).unwrap();
        assert_eq!(lock(&sink.0).len(), HIGH_WATER, "written before returning");
    }
}
