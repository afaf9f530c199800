//! Server-rendered SVG charts: no script, they print as they show, and each
//! names itself (`<title>`, `<desc>`) for screen readers; the page puts the
//! same numbers in a table beside it. Hidden (suppressed) values draw no
//! bar.

use std::fmt::Write;

/// One named series of a chart.
pub struct Line<'a> {
    pub name: &'a str,
    pub values: &'a [Option<i64>],
}

/// The design system's colours, distinguishable in grey print too (dark,
/// light, middle).
const COLOURS: [&str; 6] = [
    "#004993", "#7fa5cc", "#3c3c3c", "#a6a6a6", "#0059b3", "#d4d4d4",
];

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 12.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round top for the axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

fn open(id: &str, title: &str, desc: &str, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"vink-chart\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(desc)
    )
}

fn axis(out: &mut String, top: f64, plot_h: f64, unit: &str) {
    for i in 0..=4 {
        let y = TOP + plot_h * (1.0 - f64::from(i) / 4.0);
        let v = top * f64::from(i) / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{W}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d4d4d4\" stroke-width=\"1\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#3c3c3c\">{}{unit}</text>",
            LEFT - 4.0,
            y + 4.0,
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        );
    }
}

fn legend(out: &mut String, names: &[&str], y: f64) {
    let mut x = LEFT;
    for (i, n) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1a1a1a\">{}</text>",
            y - 9.0,
            COLOURS[i % COLOURS.len()],
            x + 14.0,
            y,
            esc(n)
        );
        x += 24.0 + 6.5 * n.chars().count() as f64;
    }
}

/// Bars per label, side by side (`stacked` false) or on top of each other.
/// `unit` follows each axis number (" %" for shares).
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    lines: &[Line<'_>],
    stacked: bool,
    unit: &str,
) -> String {
    let height = H + 22.0;
    let plot_h = H - TOP - BOTTOM;
    let max = if stacked {
        (0..labels.len())
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l.values.get(i).copied().flatten().unwrap_or(0))
                    .sum::<i64>()
            })
            .max()
            .unwrap_or(0)
    } else {
        lines
            .iter()
            .flat_map(|l| l.values.iter().flatten().copied())
            .max()
            .unwrap_or(0)
    };
    let top = nice_max(max as f64);
    let mut out = open(id, title, desc, height);
    axis(&mut out, top, plot_h, unit);
    let n = labels.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let per = if stacked {
        1.0
    } else {
        lines.len().max(1) as f64
    };
    let bar_w = (slot * 0.8 / per).max(1.0);
    let every = labels.len().div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + slot * 0.1;
        let mut base = 0i64;
        for (j, l) in lines.iter().enumerate() {
            // A zero draws nothing (a rect of no height is invalid SVG to
            // the PDF renderer); the table beside the chart has every number.
            let Some(v) = l.values.get(i).copied().flatten().filter(|v| *v != 0) else {
                continue;
            };
            let h = plot_h * v as f64 / top;
            let (x, y) = if stacked {
                (x0, TOP + plot_h - plot_h * (base + v) as f64 / top)
            } else {
                (x0 + bar_w * j as f64, TOP + plot_h - h)
            };
            base += v;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}, {}: {v}{unit}</title></rect>",
                COLOURS[j % COLOURS.len()],
                esc(label),
                esc(l.name)
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#3c3c3c\">{}</text>",
                x0 + slot * 0.4,
                H - BOTTOM + 16.0,
                esc(label)
            );
        }
    }
    let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
    legend(&mut out, &names, height - 6.0);
    out.push_str("</svg>");
    out
}

/// One horizontal bar per item, longest scale first as given.
pub fn hbars(id: &str, title: &str, desc: &str, items: &[(String, Option<i64>)]) -> String {
    let row = 24.0;
    let label_w = 230.0;
    let height = TOP + row * items.len() as f64 + 8.0;
    let max = items.iter().filter_map(|(_, v)| *v).max().unwrap_or(0);
    let top = nice_max(max as f64);
    let mut out = open(id, title, desc, height);
    for (i, (label, v)) in items.iter().enumerate() {
        let y = TOP + row * i as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(label)
        );
        if let Some(v) = v {
            let w = (W - label_w - 60.0) * *v as f64 / top;
            if *v != 0 {
                let _ = write!(
                    out,
                    "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\"/>",
                    y + 2.0,
                    COLOURS[0],
                );
            }
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1a1a1a\">{v}</text>",
                label_w + w + 6.0,
                y + 15.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_itself_and_escapes_its_text() {
        let labels = vec!["jan.".to_string(), "feb.".to_string()];
        let a = [Some(3), None];
        let svg = bars(
            "c1",
            "Henvendelser <pr. måned>",
            "Modtaget & begrundet",
            &labels,
            &[Line {
                name: "Modtaget",
                values: &a,
            }],
            false,
            "",
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"c1-t c1-d\""));
        assert!(svg.contains("&lt;pr. måned&gt;"));
        assert!(svg.contains("Modtaget &amp; begrundet"));
        // One bar: the hidden value draws none.
        assert_eq!(svg.matches("<rect x=").count(), 1 + 1);
        assert_eq!(nice_max(163.0), 200.0);
        assert_eq!(nice_max(0.0), 1.0);
    }

    #[test]
    fn a_zero_draws_no_bar_of_no_size() {
        let labels = vec!["jan.".to_string(), "feb.".to_string()];
        let a = [Some(0), Some(2)];
        let line = Line {
            name: "Modtaget",
            values: &a,
        };
        let svg = bars("c2", "t", "d", &labels, &[line], false, "");
        assert!(!svg.contains("height=\"0.0\""), "{svg}");
        // The legend's swatch and February's bar.
        assert_eq!(svg.matches("<rect x=").count(), 2);
        let items = [("a".to_string(), Some(0)), ("b".to_string(), Some(4))];
        let svg = hbars("c3", "t", "d", &items);
        assert!(!svg.contains("width=\"0.0\""), "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 1);
        // The zero is still written beside its label.
        assert!(svg.contains(">0</text>"), "{svg}");
    }
}
