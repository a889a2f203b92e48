//! Charts drawn on the server: stacked bars and lines laid out as
//! coordinates that `stats.html` writes into inline SVG (no script, no
//! external asset; every label is escaped by the template).

use serde::Serialize;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;
/// X labels shown at most; the others are skipped evenly.
const MAX_X_LABELS: usize = 10;

/// One chart: axes, ticks and marks in SVG user units.
#[derive(Debug, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub y_ticks: Vec<Tick>,
    pub x_labels: Vec<Tick>,
    pub bars: Vec<Bar>,
    pub lines: Vec<Line>,
    pub dots: Vec<Dot>,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    /// The x or y the tick sits at.
    pub at: f64,
    pub label: String,
}

/// Values to chart, one per column, with a name and a CSS class (its colour).
#[derive(Debug, Clone)]
pub struct Series<T> {
    pub name: String,
    pub class: String,
    pub values: Vec<T>,
}

/// A stacked segment, with its series' class and a tooltip.
#[derive(Debug, Serialize)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub class: String,
    pub title: String,
}

/// A run of consecutive values of one series, as SVG `points`.
#[derive(Debug, Serialize)]
pub struct Line {
    pub class: String,
    pub points: String,
}

/// One value of a line series, with its tooltip.
#[derive(Debug, Serialize)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub class: String,
    pub title: String,
}

/// How values read on the y axis and in tooltips.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Count,
    /// Seconds, written as `2m 30s`.
    Seconds,
}

impl Unit {
    fn label(self, value: f64) -> String {
        match self {
            // Truncation intended: values are whole counts.
            #[allow(clippy::cast_possible_truncation)]
            Self::Count => group_digits(value.round() as i64),
            #[allow(clippy::cast_possible_truncation)]
            Self::Seconds => super::pages::age(value.round() as i64),
        }
    }

    /// An axis label: as [`Unit::label`], but `15m` rather than `15m 0s`
    /// (ticks sit on round values).
    fn tick(self, value: f64) -> String {
        // Truncation intended: ticks are whole seconds.
        #[allow(clippy::cast_possible_truncation)]
        let whole = value.round() as i64;
        match self {
            Self::Seconds if whole >= 3600 && whole % 3600 == 0 => format!("{}h", whole / 3600),
            Self::Seconds if whole >= 60 && whole % 60 == 0 => format!("{}m", whole / 60),
            _ => self.label(value),
        }
    }

    /// A round top of the axis at or above `max`, and the step of its
    /// four intervals.
    fn scale(self, max: f64) -> (f64, f64) {
        let quarter = (max / 4.0).max(f64::MIN_POSITIVE);
        let step = match self {
            Self::Count => {
                let magnitude = 10f64.powf(quarter.log10().floor()).max(1.0);
                [1.0, 2.0, 2.5, 5.0, 10.0]
                    .into_iter()
                    .map(|m| m * magnitude)
                    .find(|step| *step >= quarter)
                    .unwrap_or(10.0 * magnitude)
            }
            Self::Seconds => [
                1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
                7200.0, 14_400.0, 21_600.0, 43_200.0, 86_400.0,
            ]
            .into_iter()
            .find(|step| *step >= quarter)
            .unwrap_or_else(|| (quarter / 86_400.0).ceil() * 86_400.0),
        };
        (step * 4.0, step)
    }
}

/// `12,345`.
pub fn group_digits(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// A column index or count as a coordinate factor (charts have few columns).
fn float(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The plot area and the y scale shared by both kinds of chart.
struct Frame {
    columns: usize,
    top_value: f64,
}

impl Frame {
    fn column_width(&self) -> f64 {
        (WIDTH - LEFT - RIGHT) / float(self.columns.max(1))
    }

    fn x_center(&self, column: usize) -> f64 {
        LEFT + self.column_width() * (float(column) + 0.5)
    }

    fn y(&self, value: f64) -> f64 {
        let plot = HEIGHT - TOP - BOTTOM;
        HEIGHT - BOTTOM - plot * (value / self.top_value).clamp(0.0, 1.0)
    }

    fn chart(&self, labels: &[String], unit: Unit, step: f64) -> Chart {
        let every = labels.len().div_ceil(MAX_X_LABELS).max(1);
        Chart {
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            right: WIDTH - RIGHT,
            top: TOP,
            bottom: HEIGHT - BOTTOM,
            y_ticks: (0..=4)
                .map(|i| {
                    let value = step * f64::from(i);
                    Tick {
                        at: round(self.y(value)),
                        label: unit.tick(value),
                    }
                })
                .collect(),
            x_labels: labels
                .iter()
                .enumerate()
                .filter(|(i, _)| (labels.len() - 1 - i) % every == 0)
                .map(|(i, label)| Tick {
                    at: round(self.x_center(i)),
                    label: label.clone(),
                })
                .collect(),
            bars: Vec::new(),
            lines: Vec::new(),
            dots: Vec::new(),
        }
    }
}

/// Columns of stacked segments, the first series at the bottom.
pub fn stacked_bars(labels: &[String], series: &[Series<f64>], unit: Unit) -> Chart {
    let column_total =
        |column: usize| -> f64 { series.iter().filter_map(|one| one.values.get(column)).sum() };
    let max = (0..labels.len()).map(column_total).fold(0.0, f64::max);
    let (top_value, step) = unit.scale(max);
    let frame = Frame {
        columns: labels.len(),
        top_value,
    };
    let mut chart = frame.chart(labels, unit, step);
    let width = frame.column_width() * 0.7;
    for (column, label) in labels.iter().enumerate() {
        let mut base = 0.0;
        for one in series {
            let value = one.values.get(column).copied().unwrap_or_default();
            if value <= 0.0 {
                continue;
            }
            let (low, high) = (frame.y(base), frame.y(base + value));
            chart.bars.push(Bar {
                x: round(frame.x_center(column) - width / 2.0),
                y: round(high),
                width: round(width),
                height: round(low - high),
                class: one.class.clone(),
                title: format!("{}, {label}: {}", one.name, unit.label(value)),
            });
            base += value;
        }
    }
    chart
}

/// One line per series, broken where a value is missing.
pub fn lines(labels: &[String], series: &[Series<Option<f64>>], unit: Unit) -> Chart {
    let max = series
        .iter()
        .flat_map(|one| one.values.iter().flatten())
        .copied()
        .fold(0.0, f64::max);
    let (top_value, step) = unit.scale(max);
    let frame = Frame {
        columns: labels.len(),
        top_value,
    };
    let mut chart = frame.chart(labels, unit, step);
    for one in series {
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, lines: &mut Vec<Line>| {
            if run.len() > 1 {
                lines.push(Line {
                    class: one.class.clone(),
                    points: run.join(" "),
                });
            }
            run.clear();
        };
        for (column, value) in one.values.iter().enumerate() {
            let Some(value) = value else {
                flush(&mut run, &mut chart.lines);
                continue;
            };
            let (x, y) = (round(frame.x_center(column)), round(frame.y(*value)));
            run.push(format!("{x},{y}"));
            chart.dots.push(Dot {
                x,
                y,
                class: one.class.clone(),
                title: format!("{}, {}: {}", one.name, labels[column], unit.label(*value)),
            });
        }
        flush(&mut run, &mut chart.lines);
    }
    chart
}

#[cfg(test)]
mod tests;
