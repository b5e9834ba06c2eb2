//! Simulated performance of a use case: 14 days of sent, delivered, clicked and
//! converted, deterministic per use case (seeded from its id and tenant), drawn as an
//! inline SVG chart.

use std::fmt::Write;

/// One day of a use case's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Day {
    pub(crate) sent: u32,
    pub(crate) delivered: u32,
    pub(crate) clicked: u32,
    pub(crate) converted: u32,
}

/// A line of the chart: its name (CSS class) and what it plots.
type Measure = (&'static str, fn(&Day) -> u32);

/// FNV-1a's 64-bit offset basis: the seed of a hash from nothing.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64-bit) of `bytes`, from `seed`: small, stable across runs and machines,
/// which is all made-up figures need. The one hash of the sandbox's figures.
pub(crate) fn seed_of(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A stable seed for one use case of one tenant.
pub(crate) fn use_case_seed(tenant_seed: u64, id: &str) -> u64 {
    seed_of(tenant_seed ^ FNV_OFFSET, id.as_bytes())
}

/// How many days the chart shows.
pub(crate) const DAYS: usize = 14;

/// The last [`DAYS`] days of a use case reaching `reach` customers; a paused one sent
/// nothing in its last three days.
pub(crate) fn series(seed: u64, reach: u32, paused: bool) -> Vec<Day> {
    // Mixed first: `seed | 1` alone would give 42 and 43 the same numbers.
    let mut rng = (seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0xbf58_476d_1ce4_e5b9) | 1;
    let mut next = move |range: u32| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        u32::try_from(rng % u64::from(range.max(1))).unwrap_or(0)
    };
    let daily = (reach / 10).max(20);
    (0..DAYS)
        .map(|day| {
            if paused && day >= DAYS - 3 {
                return Day::default();
            }
            // A weekly rhythm (weekends lower) with noise.
            let weekday = u32::try_from(day % 7).unwrap_or(0);
            let rhythm = if weekday >= 5 { 70 } else { 100 };
            let sent = daily * rhythm / 100 + next(daily / 3 + 1);
            let delivered = sent * (94 + next(5)) / 100;
            let clicked = delivered * (6 + next(14)) / 100;
            let converted = clicked * (10 + next(20)) / 100;
            Day {
                sent,
                delivered,
                clicked,
                converted,
            }
        })
        .collect()
}

/// The sums over `days`.
pub(crate) fn totals(days: &[Day]) -> Day {
    days.iter().fold(Day::default(), |t, d| Day {
        sent: t.sent + d.sent,
        delivered: t.delivered + d.delivered,
        clicked: t.clicked + d.clicked,
        converted: t.converted + d.converted,
    })
}

/// `part` of `whole` as a percentage with one decimal, e.g. `"96.4 %"`.
pub(crate) fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    let tenths = u64::from(part) * 1000 / u64::from(whole);
    format!("{}.{} %", tenths / 10, tenths % 10)
}

/// The chart: one line per measure, gridlines, day labels. Scales with its container.
pub(crate) fn chart_svg(days: &[Day]) -> String {
    const W: u32 = 640;
    const H: u32 = 220;
    const LEFT: u32 = 44;
    const BOTTOM: u32 = 24;
    const TOP: u32 = 10;
    let max = days.iter().map(|d| d.sent).max().unwrap_or(0).max(10);
    let steps = u32::try_from(days.len().saturating_sub(1))
        .unwrap_or(1)
        .max(1);
    let x = |i: usize| LEFT + (W - LEFT - 10) * u32::try_from(i).unwrap_or(0) / steps;
    let y = |v: u32| TOP + (H - TOP - BOTTOM) - (H - TOP - BOTTOM) * v / max;

    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="Sent, delivered, clicked and converted over the last {n} days" xmlns="http://www.w3.org/2000/svg">"#,
        n = days.len()
    );
    for line in 0..=4 {
        let value = max * line / 4;
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" x2="{}" y1="{y}" y2="{y}" class="grid"/><text x="{}" y="{}" class="axis" text-anchor="end">{value}</text>"#,
            W - 10,
            LEFT - 6,
            y(value) + 4,
            y = y(value),
        );
    }
    for (i, _) in days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1 || *i == days.len() - 1)
    {
        let (label, anchor) = if i == days.len() - 1 {
            ("Today".to_owned(), "end")
        } else {
            (format!("-{}d", days.len() - 1 - i), "middle")
        };
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" class="axis" text-anchor="{anchor}">{label}</text>"#,
            x(i),
            H - 6
        );
    }
    let measures: [Measure; 4] = [
        ("sent", |d| d.sent),
        ("delivered", |d| d.delivered),
        ("clicked", |d| d.clicked),
        ("converted", |d| d.converted),
    ];
    for (name, value) in measures {
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{},{}", x(i), y(value(d))))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="line line--{name}" points="{}"/>"#,
            points.join(" ")
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_deterministic_and_plausible() {
        let a = series(42, 1_000, false);
        assert_eq!(a, series(42, 1_000, false), "same seed, same numbers");
        assert_ne!(
            a,
            series(43, 1_000, false),
            "another use case, other numbers"
        );
        for d in &a {
            assert!(
                d.delivered <= d.sent && d.clicked <= d.delivered && d.converted <= d.clicked,
                "{d:?}"
            );
        }
        let paused = series(42, 1_000, true);
        assert_eq!(
            paused[DAYS - 1],
            Day::default(),
            "a paused use case sends nothing"
        );
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(1, 0), "–");
    }

    #[test]
    fn the_chart_has_a_line_per_measure() {
        let svg = chart_svg(&series(7, 500, false));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 4);
        assert!(svg.contains("Today"));
    }
}
