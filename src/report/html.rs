//! `vouch fidelity --report html=PATH`: one self-contained HTML file (inline
//! CSS and script, a Content-Security-Policy that forbids every fetch) with a
//! per-operation heatmap of the kinds of difference, and for every step that
//! differs the mock's and the live answer side by side, each difference
//! highlighted where it stands. It reads the report only: secrets were
//! redacted when the comparison ended ([`crate::fidelity::compare`]).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use serde_json::Value;

use crate::atomic_file;
use crate::exchange::Exchange;
use crate::fidelity::{
    Class, Difference, FidelityReport, Kind, OperationScore, PairedStep, percent,
};
use crate::spec::document::child_pointer;

/// Bodies nested deeper than this are shown as compact JSON.
const MAX_DEPTH: usize = 64;

/// Writes the fidelity report as HTML.
pub struct FidelityHtmlReport {
    /// The HTML file to write.
    pub path: PathBuf,
}

impl FidelityHtmlReport {
    /// Writes `report` atomically.
    pub fn write(&self, report: &FidelityReport) -> std::io::Result<()> {
        atomic_file::write(&self.path, &render(report))
    }
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1e293b;background:#f8fafc}
h1{margin:0 0 4px}h2{margin-top:32px}code,pre{font:12px/1.4 ui-monospace,monospace}
.summary{color:#475569}.score{font-size:22px;font-weight:600}
table.heatmap{border-collapse:collapse;background:#fff}
.heatmap th,.heatmap td{border:1px solid #e2e8f0;padding:3px 5px;text-align:center}
.heatmap th.op{text-align:left;font-family:ui-monospace,monospace;font-weight:500}
.heatmap tbody tr{cursor:pointer}.heatmap tbody tr:hover th.op{text-decoration:underline}
.heatmap td.pct{color:#fff;font-weight:600}
.heatmap thead th{font-size:10px;font-weight:600}.wide{overflow-x:auto}
.heatmap td.heat{min-width:34px}
.heatmap td.strip{min-width:120px;text-align:left;line-height:10px}
.strip a,.strip span{display:inline-block;width:12px;height:12px;margin:1px;border-radius:2px}
.s-ok{background:#16a34a}.s-known{background:#d97706}.s-new{background:#dc2626}.s-na{background:#94a3b8}
article{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:12px 16px;margin:16px 0}
article h3{margin:0 0 8px;font-size:15px}article h3 small{color:#64748b;font-weight:400}
ul.diffs{margin:0 0 8px;padding-left:18px}.tag{font-size:11px;border-radius:3px;padding:0 4px;color:#fff}
.tag.new{background:#dc2626}.tag.known{background:#d97706}.tag.info{background:#64748b}
.tag.free-text{background:#0891b2}.tag.guess{background:#7c3aed}
.sides{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}
.side pre{background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;overflow:auto;max-height:480px;margin:0}
.side h4{margin:4px 0}
mark{border-radius:2px;color:#0f172a;padding:0 1px}
mark.added{background:#86efac}mark.removed{background:#fca5a5}mark.changed{background:#fde047}
mark.info{background:#93c5fd}
.controls{margin:8px 0}.hidden{display:none}#filter{color:#64748b;margin-left:12px}
";

const SCRIPT: &str = "
(function(){
  var only=null, newOnly=document.getElementById('new-only');
  function apply(){
    var steps=document.querySelectorAll('article.step'), shown=0;
    steps.forEach(function(a){
      var show=(!only||a.dataset.op===only)&&(!newOnly.checked||a.dataset.new==='1');
      a.classList.toggle('hidden',!show);
      shown+=show?1:0;
    });
    document.getElementById('filter').textContent=shown+' of '+steps.length+
      ' differing steps shown'+(only?' ('+only+' only; click its row again for all)':'');
  }
  document.querySelectorAll('#heatmap tbody tr').forEach(function(tr){
    tr.addEventListener('click',function(){only=(only===tr.dataset.op)?null:tr.dataset.op;apply();});
  });
  newOnly.addEventListener('change',apply);
  apply();
})();
";

/// The whole page.
fn render(report: &FidelityReport) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <title>vouch: mock fidelity</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n");
    summary(report, &mut out);
    heatmap(report, &mut out);
    differences(report, &mut out);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

/// `text` escaped for HTML text and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn summary(report: &FidelityReport, out: &mut String) {
    let _ = write!(
        out,
        "<h1>Mock fidelity</h1>\n<p class=\"summary\"><span class=\"score\" id=\"overall\">{}</span> \
         — {} of {} compared steps answered alike; {} new (scored), {} known, {} free-text and {} guess differences \
         (known, free text, guesses, latency over {:.0} ms and steps answered on one side only are shown, not scored).</p>\n",
        percent(report.score),
        report.faithful,
        report.steps,
        report.new,
        report.known,
        report.free_text,
        report.guess,
        report.latency_threshold_ms
    );
}

fn heatmap(report: &FidelityReport, out: &mut String) {
    out.push_str("<h2>Operations</h2>\n<div class=\"wide\"><table class=\"heatmap\" id=\"heatmap\"><thead><tr><th>operation</th><th>steps</th><th>score</th>");
    for kind in Kind::ALL {
        let _ = write!(out, "<th>{}</th>", kind.label());
    }
    out.push_str("<th>each step</th></tr></thead><tbody>\n");
    for o in &report.operations {
        heatmap_row(report, o, out);
    }
    out.push_str("</tbody></table></div>\n<p class=\"controls\"><label><input type=\"checkbox\" id=\"new-only\"> new differences only</label> <span id=\"filter\"></span></p>\n");
}

fn heatmap_row(report: &FidelityReport, o: &OperationScore, out: &mut String) {
    let hue = o.score.map_or(210.0, |s| s * 120.0);
    let _ = write!(
        out,
        "<tr data-op=\"{op}\"><th class=\"op\">{op}</th><td>{}</td>\
         <td class=\"pct\" style=\"background:hsl({hue:.0},70%,40%)\">{}</td>",
        o.steps,
        percent(o.score),
        op = esc(&o.operation)
    );
    for kind in Kind::ALL {
        let tally = o.kinds.get(&kind).copied().unwrap_or_default();
        let count = tally.total();
        let rgb = match (kind.scored(), tally.new) {
            (false, _) => "100,116,139",
            (true, 0) => "217,119,6",
            (true, _) => "220,38,38",
        };
        let alpha = if count == 0 {
            0.0
        } else {
            (0.3 + 0.15 * count as f64).min(1.0)
        };
        let shown = if count == 0 {
            String::new()
        } else {
            count.to_string()
        };
        let _ = write!(
            out,
            "<td class=\"heat\" title=\"{} new, {} known, {} free text, {} guess\" style=\"background:rgba({rgb},{alpha:.2})\">{shown}</td>",
            tally.new, tally.known, tally.free_text, tally.guess
        );
    }
    out.push_str("<td class=\"strip\">");
    for (anchor, step) in numbered(report).filter(|(_, s)| s.operation == o.operation) {
        let class = step_class(step);
        let title = esc(&step.label);
        if step.differences.is_empty() {
            let _ = write!(out, "<span class=\"{class}\" title=\"{title}\"></span>");
        } else {
            let _ = write!(
                out,
                "<a class=\"{class}\" title=\"{title}\" href=\"#step-{anchor}\"></a>"
            );
        }
    }
    out.push_str("</td></tr>\n");
}

/// Every paired step with its anchor number.
fn numbered(report: &FidelityReport) -> impl Iterator<Item = (usize, &PairedStep)> {
    report.scenarios.iter().flat_map(|s| &s.steps).enumerate()
}

fn step_class(step: &PairedStep) -> &'static str {
    if !step.compared() {
        "s-na"
    } else if step.differences.iter().any(|d| d.scored) {
        "s-new"
    } else if step.differences.iter().any(|d| d.kind.scored()) {
        "s-known"
    } else {
        "s-ok"
    }
}

fn differences(report: &FidelityReport, out: &mut String) {
    out.push_str("<h2>Differences</h2>\n");
    let mut anchor = 0;
    for s in &report.scenarios {
        if let Some(reason) = &s.skipped {
            let _ = writeln!(
                out,
                "<p>Skipped <code>{}</code>: {}</p>",
                esc(&s.id),
                esc(reason)
            );
        }
        if s.unreachable {
            let _ = writeln!(
                out,
                "<p>Unreachable: <code>{}</code> (the live target did not answer).</p>",
                esc(&s.id)
            );
        }
        for step in &s.steps {
            if !step.differences.is_empty() {
                let place = format!(
                    "{} › {} ({}:{})",
                    s.id,
                    step.label,
                    s.file.display(),
                    step.line
                );
                article(anchor, &place, step, out);
            }
            anchor += 1;
        }
    }
    if report.new + report.known + report.free_text + report.guess == 0 {
        out.push_str(
            "<p id=\"none\">No scored difference: the mock answered like the live target.</p>\n",
        );
    }
}

fn article(anchor: usize, place: &str, step: &PairedStep, out: &mut String) {
    let has_new = step.differences.iter().any(|d| d.scored);
    let _ = write!(
        out,
        "<article class=\"step\" id=\"step-{anchor}\" data-op=\"{}\" data-new=\"{}\">\n\
         <h3>{} <small>{}</small></h3>\n<ul class=\"diffs\">\n",
        esc(&step.operation),
        u8::from(has_new),
        esc(place),
        esc(&step.operation)
    );
    for d in &step.differences {
        difference_item(d, out);
    }
    out.push_str("</ul>\n<div class=\"sides\">\n");
    side("mock", step.mock.as_ref(), &step.differences, out);
    side("live", step.live.as_ref(), &step.differences, out);
    out.push_str("</div>\n</article>\n");
}

fn difference_item(d: &Difference, out: &mut String) {
    let (class, tag, title) = match &d.class {
        Class::NotScored => ("info", "not scored", String::new()),
        Class::Known { erratum } => ("known", "known", format!("x-errata at #{erratum}")),
        Class::FreeText if d.scored => ("free-text", "free text (scored)", String::new()),
        Class::FreeText => (
            "free-text",
            "free text",
            "not scored without --score-text".into(),
        ),
        Class::Guess { guess } => ("guess", "guess", format!("x-guess: {guess}")),
        Class::New => ("new", "new", "not marked in the spec".to_string()),
    };
    let at = if d.pointer.is_empty() {
        String::new()
    } else {
        format!(" at <code>{}</code>", esc(&d.pointer))
    };
    let _ = writeln!(
        out,
        "<li class=\"diff {kind}\"><b>{kind}</b>{at}: mock <code>{}</code>, live <code>{}</code> <span class=\"tag {class}\" title=\"{}\">{tag}</span></li>",
        esc(&d.mock),
        esc(&d.live),
        esc(&title),
        kind = d.kind.label()
    );
}

/// The highlight class of a difference.
fn mark_class(kind: Kind) -> &'static str {
    match kind {
        Kind::FieldAdded => "added",
        Kind::FieldRemoved => "removed",
        Kind::Latency | Kind::NotCompared => "info",
        _ => "changed",
    }
}

fn side(name: &str, exchange: Option<&Exchange>, diffs: &[Difference], out: &mut String) {
    let _ = write!(out, "<div class=\"side {name}\"><h4>{name}</h4><pre>");
    match exchange {
        None => out.push_str("(no answer)"),
        Some(e) => {
            head(e, diffs, out);
            body(e, diffs, out);
        }
    }
    out.push_str("</pre></div>\n");
}

fn marked(out: &mut String, class: Option<&str>, text: &str) {
    match class {
        Some(c) => {
            let _ = write!(out, "<mark class=\"{c}\">{}</mark>", esc(text));
        }
        None => out.push_str(&esc(text)),
    }
}

fn head(e: &Exchange, diffs: &[Difference], out: &mut String) {
    let has = |k: Kind| diffs.iter().any(|d| d.kind == k).then(|| mark_class(k));
    marked(out, has(Kind::Status), &format!("HTTP {}", e.status));
    marked(
        out,
        has(Kind::Latency),
        &format!("  ({:.0} ms)", e.elapsed_ms),
    );
    out.push('\n');
    let content_type = e.content_type.as_deref().unwrap_or("(none)");
    marked(
        out,
        has(Kind::ContentType),
        &format!("content-type: {content_type}"),
    );
    out.push('\n');
    for d in diffs.iter().filter(|d| d.kind == Kind::Header) {
        let value = e
            .response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&d.pointer))
            .map_or("(absent)", |(_, v)| v.as_str());
        marked(out, Some("changed"), &format!("{}: {value}", d.pointer));
        out.push('\n');
    }
    out.push('\n');
}

fn body(e: &Exchange, diffs: &[Difference], out: &mut String) {
    let marks: BTreeMap<&str, &str> = diffs
        .iter()
        .filter(|d| {
            d.kind.scored() && !matches!(d.kind, Kind::Status | Kind::ContentType | Kind::Header)
        })
        .map(|d| (d.pointer.as_str(), mark_class(d.kind)))
        .collect();
    match e.json() {
        Some(json) => {
            let mut printer = Printer { marks: &marks, out };
            printer.member(None, &json, "", 0);
        }
        None => marked(out, marks.get("").copied(), &e.body),
    }
}

/// Pretty-prints JSON as HTML, wrapping each marked member in `<mark>`.
struct Printer<'a> {
    marks: &'a BTreeMap<&'a str, &'a str>,
    out: &'a mut String,
}

impl Printer<'_> {
    fn member(&mut self, key: Option<&str>, value: &Value, pointer: &str, depth: usize) {
        let mark = self.marks.get(pointer).copied();
        if let Some(class) = mark {
            let _ = write!(self.out, "<mark class=\"{class}\">");
        }
        if let Some(key) = key {
            let _ = write!(
                self.out,
                "{}: ",
                esc(&Value::String(key.into()).to_string())
            );
        }
        self.value(value, pointer, depth);
        if mark.is_some() {
            self.out.push_str("</mark>");
        }
    }

    fn value(&mut self, value: &Value, pointer: &str, depth: usize) {
        let pad = "  ".repeat(depth + 1);
        match value {
            Value::Object(map) if !map.is_empty() && depth < MAX_DEPTH => {
                self.out.push_str("{\n");
                for (i, (k, v)) in map.iter().enumerate() {
                    self.out.push_str(&pad);
                    self.member(Some(k), v, &child_pointer(pointer, k), depth + 1);
                    self.out
                        .push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
                }
                let _ = write!(self.out, "{}}}", "  ".repeat(depth));
            }
            Value::Array(items) if !items.is_empty() && depth < MAX_DEPTH => {
                self.out.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    self.out.push_str(&pad);
                    self.member(None, v, &format!("{pointer}/{i}"), depth + 1);
                    self.out
                        .push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                let _ = write!(self.out, "{}]", "  ".repeat(depth));
            }
            other => self.out.push_str(&esc(&other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marked_members_are_wrapped_and_text_is_escaped() {
        let marks: BTreeMap<&str, &str> = [("/a/1", "added"), ("/b", "changed")].into();
        let mut out = String::new();
        Printer {
            marks: &marks,
            out: &mut out,
        }
        .member(None, &json!({"a": [1, 2], "b": "<x>"}), "", 0);
        assert!(out.contains("<mark class=\"added\">2</mark>"), "{out}");
        assert!(
            out.contains("<mark class=\"changed\">&quot;b&quot;: &quot;&lt;x&gt;&quot;</mark>"),
            "{out}"
        );
    }
}
