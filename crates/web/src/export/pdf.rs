//! A4 PDF: the title, period and note, each section's table (broken across pages
//! with its head repeated), then each chart drawn from the page's own SVG,
//! with IBM Plex Sans embedded (subset) and page numbers at the foot.

use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use super::{Block, Doc, ExportError};

const W: f32 = 595.28;
const H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const ROW: f32 = 15.0;
const FOOT: f32 = 40.0;
/// A character's width at 9 pt, generously (digits and capitals).
const CHAR: f32 = 5.2;

fn err(what: &str) -> ExportError {
    ExportError::Pdf(what.to_string())
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// The words a line may break between. An amount stays whole with its unit
/// ("1,8 mio. kr.", "250.000 kr."): joined by no-break spaces.
fn words(text: &str) -> Vec<String> {
    text.replace(" mio. kr.", "\u{a0}mio.\u{a0}kr.")
        .replace(" kr.", "\u{a0}kr.")
        .split(|c: char| c.is_whitespace() && c != '\u{a0}')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Words wrapped to at most `chars` characters a line (the font's average
/// width at the sizes used makes that a safe measure).
fn wrap(text: &str, chars: usize) -> Vec<String> {
    let chars = chars.max(4);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in words(text) {
        // A word longer than a line is broken where it must be.
        let pieces: Vec<String> = word
            .chars()
            .collect::<Vec<_>>()
            .chunks(chars)
            .map(|c| c.iter().collect())
            .collect();
        for piece in pieces {
            if !line.is_empty() && line.chars().count() + 1 + piece.chars().count() > chars {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&piece);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The pages being laid out and where the next line goes.
struct Pen {
    y: f32,
    pages: Vec<Vec<Item>>,
}

/// What a page holds, drawn when the document is finished (so each page
/// knows the page count for its foot).
enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        grey: bool,
    },
    Rule {
        y: f32,
    },
    Shade {
        y: f32,
        h: f32,
    },
    Svg {
        y: f32,
        h: f32,
        tree: Box<usvg::Tree>,
    },
}

impl Pen {
    fn page(&mut self) -> &mut Vec<Item> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Room for `h` more points on this page, or a new page.
    fn room(&mut self, h: f32) -> bool {
        if self.y + h > H - MARGIN - FOOT {
            self.new_page();
            return false;
        }
        true
    }

    fn text(&mut self, x: f32, size: f32, text: &str, grey: bool) {
        let y = self.y;
        self.page().push(Item::Text {
            x,
            y,
            size,
            text: text.to_string(),
            grey,
        });
    }

    fn heading(&mut self, text: &str, size: f32) {
        let lines = wrap(text, 70);
        self.room(size * 1.6 * lines.len() as f32 + ROW * 3.0);
        self.y += size * 0.6;
        for l in lines {
            self.y += size * 1.3;
            self.text(MARGIN, size, &l, false);
        }
        self.y += size * 0.5;
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>]) {
        // Column widths: each at least as wide as its longest word (up to
        // 20 characters), at most as wide as its longest cell; what room is
        // left beyond the words goes to the columns that would wrap most.
        let cols = head.len() + 1;
        let cells = |c: usize| {
            rows.iter()
                .filter_map(move |r| r.get(c))
                .map(String::as_str)
                .chain(head.get(c.wrapping_sub(1)).map(String::as_str))
        };
        let width = |n: usize, cap: usize| n.clamp(4, cap) as f32 * CHAR + 8.0;
        let min: Vec<f32> = (0..cols)
            .map(|c| {
                let word = cells(c)
                    .flat_map(words)
                    .map(|w| w.chars().count())
                    .max()
                    .unwrap_or(0);
                width(word, 20)
            })
            .collect();
        let natural: Vec<f32> = (0..cols)
            .map(|c| {
                let n = cells(c).map(|v| v.chars().count()).max().unwrap_or(0);
                width(n, 60).max(min[c])
            })
            .collect();
        let room = W - 2.0 * MARGIN;
        // A table too wide even for its words is set smaller, all of it.
        let shrink = (room / min.iter().sum::<f32>()).min(1.0);
        let min: Vec<f32> = min.iter().map(|m| m * shrink).collect();
        let natural: Vec<f32> = natural.iter().map(|n| n * shrink).collect();
        let size = 9.0 * shrink;
        let spare = room - min.iter().sum::<f32>();
        let wanted: f32 = natural.iter().zip(&min).map(|(n, m)| n - m).sum();
        let widths: Vec<f32> = natural
            .iter()
            .zip(&min)
            .map(|(n, m)| {
                if natural.iter().sum::<f32>() <= room {
                    *n
                } else if spare <= 0.0 || wanted <= 0.0 {
                    *m
                } else {
                    m + (n - m) * spare / wanted
                }
            })
            .collect();
        let xs: Vec<f32> = widths
            .iter()
            .scan(MARGIN, |x, w| {
                let at = *x;
                *x += w;
                Some(at)
            })
            .collect();
        let draw_head = |pen: &mut Pen| {
            let heads: Vec<Vec<String>> = head
                .iter()
                .enumerate()
                .map(|(i, h)| wrap(h, (widths[i + 1] / 3.9) as usize))
                .collect();
            let lines = heads.iter().map(Vec::len).max().unwrap_or(1);
            for l in 0..lines {
                pen.y += ROW * 0.8;
                for (i, h) in heads.iter().enumerate() {
                    if let Some(t) = h.get(l) {
                        pen.text(xs[i + 1], 7.5, t, true);
                    }
                }
            }
            let y = pen.y + 4.0;
            pen.page().push(Item::Rule { y });
            pen.y += 4.0;
        };
        self.room(ROW * 3.0);
        draw_head(self);
        for (n, r) in rows.iter().enumerate() {
            // Every cell wrapped to its column; the row as tall as its
            // tallest cell.
            let cells: Vec<Vec<String>> = r
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    let w = widths.get(c).copied().unwrap_or(60.0) - 8.0 * shrink;
                    wrap(v, (w / (CHAR * shrink)).round() as usize)
                })
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
            let h = ROW * lines as f32;
            if !self.room(h) {
                draw_head(self);
            }
            if n % 2 == 1 {
                let y = self.y + 3.0;
                self.page().push(Item::Shade { y, h });
            }
            for i in 0..lines {
                self.y += ROW;
                for (c, cell) in cells.iter().enumerate() {
                    let Some(l) = cell.get(i) else { continue };
                    let x = xs.get(c).copied().unwrap_or(MARGIN) + if c == 0 { 2.0 } else { 0.0 };
                    self.text(x, size, l, false);
                }
            }
        }
        self.y += ROW;
    }

    fn chart(
        &mut self,
        title: &str,
        svg: &str,
        fonts: &Arc<usvg::fontdb::Database>,
    ) -> Result<(), ExportError> {
        let opts = usvg::Options {
            font_family: "IBM Plex Sans".into(),
            fontdb: fonts.clone(),
            ..Default::default()
        };
        let tree = usvg::Tree::from_str(svg, &opts).map_err(|e| err(&format!("chart: {e}")))?;
        let w = W - 2.0 * MARGIN;
        let h = w * tree.size().height() / tree.size().width();
        self.room(h + 40.0);
        self.heading(title, 11.0);
        let y = self.y;
        self.page().push(Item::Svg {
            y,
            h,
            tree: Box::new(tree),
        });
        self.y += h + ROW;
        Ok(())
    }
}

fn draw(surface: &mut Surface<'_>, font: &Font, item: &Item) {
    match item {
        Item::Text {
            x,
            y,
            size,
            text,
            grey,
        } => {
            let (r, g, b) = if *grey { (90, 90, 90) } else { (26, 26, 26) };
            surface.set_fill(Some(fill(r, g, b)));
            surface.draw_text(
                Point::from_xy(*x, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Item::Rule { y } => {
            let mut pb = PathBuilder::new();
            pb.move_to(MARGIN, *y);
            pb.line_to(W - MARGIN, *y);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(116, 116, 116).into(),
                    width: 0.6,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Item::Shade { y, h } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(MARGIN, *y, W - 2.0 * MARGIN, *h) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(Some(fill(242, 242, 242)));
                surface.draw_path(&path);
            }
        }
        Item::Svg { y, h, tree } => {
            if let Some(size) = Size::from_wh(W - 2.0 * MARGIN, *h) {
                surface.push_transform(&krilla::geom::Transform::from_translate(MARGIN, *y));
                surface.draw_svg(tree, size, SvgSettings::default());
                surface.pop();
            }
        }
    }
}

/// The document as A4 pages.
pub fn pdf(doc: &Doc) -> Result<Vec<u8>, ExportError> {
    let data = crate::assets::pdf_font().ok_or_else(|| err("font missing"))?;
    let font = Font::new(Arc::new(data.clone()).into(), 0).ok_or_else(|| err("font unreadable"))?;
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(data);
    let fonts = Arc::new(db);
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language("da".into())
            .creator("vink".into()),
    );
    let mut pen = Pen {
        y: MARGIN,
        pages: Vec::new(),
    };
    pen.heading(&doc.title, 18.0);
    for l in wrap(&doc.subtitle, 90) {
        pen.y += ROW;
        pen.text(MARGIN, 10.0, &l, true);
    }
    for l in wrap(&doc.note, 110) {
        pen.y += ROW * 0.8;
        pen.text(MARGIN, 8.0, &l, true);
    }
    pen.y += ROW / 2.0;
    for b in &doc.blocks {
        match b {
            Block::Heading(h) => pen.heading(h, 13.0),
            Block::Table { head, rows } => pen.table(head, rows),
            Block::Chart { title, svg, .. } => pen.chart(title, svg, &fonts)?,
        }
    }
    let pages = std::mem::take(&mut pen.pages);
    let total = pages.len();
    for (i, items) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(W, H).ok_or_else(|| err("page size"))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for item in items {
            draw(&mut surface, &font, item);
        }
        surface.set_fill(Some(fill(90, 90, 90)));
        surface.draw_text(
            Point::from_xy(MARGIN, H - MARGIN / 2.0),
            font.clone(),
            8.0,
            &format!("{} · {}/{}", doc.title, i + 1, total),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| err(&format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_wrap_and_long_ones_break() {
        assert_eq!(super::wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(
            super::wrap("Ung-til-ung-dialog", 8),
            vec!["Ung-til-", "ung-dial", "og"]
        );
        assert_eq!(super::wrap("", 8), vec![""]);
    }
}
