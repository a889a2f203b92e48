use super::*;

fn labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("d{i}")).collect()
}

fn series<T>(name: &str, values: Vec<T>) -> Series<T> {
    Series {
        name: name.to_owned(),
        class: format!("c-{name}"),
        values,
    }
}

#[test]
fn axes_end_on_a_round_value_above_the_largest() {
    assert_eq!(Unit::Count.scale(0.0), (4.0, 1.0));
    assert_eq!(Unit::Count.scale(7.0), (8.0, 2.0));
    assert_eq!(Unit::Count.scale(950.0), (1000.0, 250.0));
    assert_eq!(Unit::Count.scale(1001.0), (2000.0, 500.0));
    assert_eq!(Unit::Seconds.scale(100.0), (120.0, 30.0));
    assert_eq!(Unit::Seconds.scale(3000.0), (3600.0, 900.0));
    assert_eq!(Unit::Seconds.scale(400_000.0), (691_200.0, 172_800.0));
}

#[test]
fn digits_are_grouped_in_thousands() {
    for (value, text) in [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (1_234_567, "1,234,567"),
        (-4200, "-4,200"),
    ] {
        assert_eq!(group_digits(value), text);
    }
}

#[test]
fn stacked_segments_sit_on_each_other_and_fill_the_tallest_column() {
    let chart = stacked_bars(
        &labels(2),
        &[series("a", vec![2.0, 1.0]), series("b", vec![2.0, 0.0])],
        Unit::Count,
    );
    // Column 0 totals 4, the axis top (scale of 4 is 4, step 1).
    assert_eq!(chart.bars.len(), 3, "a zero segment draws nothing");
    let (first, second) = (&chart.bars[0], &chart.bars[1]);
    assert!((first.y - second.y - second.height).abs() < 0.2);
    assert!(
        (second.y - chart.top).abs() < 0.2,
        "the tallest column reaches the top"
    );
    assert!(
        (first.y + first.height - chart.bottom).abs() < 0.2,
        "bars start on the axis"
    );
    assert_eq!(second.title, "b, d0: 2");
    assert_eq!(second.class, "c-b");
    assert_eq!(chart.y_ticks.last().unwrap().label, "4");
}

#[test]
fn lines_break_where_a_value_is_missing() {
    let values = vec![
        Some(10.0),
        Some(20.0),
        None,
        Some(30.0),
        Some(40.0),
        None,
        Some(5.0),
    ];
    let chart = lines(&labels(7), &[series("p50", values)], Unit::Seconds);
    assert_eq!(
        chart.lines.len(),
        2,
        "two runs of two; the lone value has only a dot"
    );
    assert_eq!(chart.dots.len(), 5);
    assert_eq!(chart.dots[3].title, "p50, d4: 40s");
    assert_eq!(chart.y_ticks.last().unwrap().label, "40s");
}

#[test]
fn long_axes_label_every_few_columns_ending_with_the_last() {
    let chart = lines(&labels(30), &[series("x", vec![None; 30])], Unit::Count);
    assert!(chart.x_labels.len() <= MAX_X_LABELS);
    assert_eq!(chart.x_labels.last().unwrap().label, "d29");
    assert!(chart.lines.is_empty() && chart.dots.is_empty());
}

#[test]
fn time_axes_read_in_whole_units() {
    let values = vec![Some(3000.0), Some(10.0)];
    let chart = lines(&labels(2), &[series("p99", values)], Unit::Seconds);
    let ticks: Vec<&str> = chart.y_ticks.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(ticks, ["0s", "15m", "30m", "45m", "1h"]);
    assert_eq!(
        chart.dots[0].title, "p99, d0: 50m 0s",
        "tooltips stay exact"
    );
    let long = lines(
        &labels(1),
        &[series("p99", vec![Some(20_000.0)])],
        Unit::Seconds,
    );
    let top = &long.y_ticks.last().unwrap().label;
    assert_eq!(top, "8h");
}
