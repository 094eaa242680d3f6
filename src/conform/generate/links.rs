//! Sequences from OpenAPI links: a create whose answer declares links is
//! followed by each linked operation, and by those their answers link to,
//! each parameter bound from what came before (a value of an earlier answer
//! captured into a variable, a value of an earlier request, or a literal).
//! Reads go first, then changes, then one delete; after a delete the first
//! read is sent again and must get the declared refusal.

use serde_json::{Value, json};

use super::Context;
use crate::conform::case::{Call, Case, CaseStep, Kind};
use crate::spec::{Expression, Link, Method, Operation};

/// At most this many requests follow links in one sequence.
const MAX_LINKED: usize = 8;

/// A step of a linked sequence, before the sequence is ordered.
struct Linked<'o> {
    op: &'o Operation,
    step: CaseStep,
    /// Reads 0, changes 1, a delete 2; never below the step it came from.
    rank: u8,
}

impl<'a> Context<'a> {
    /// For a create whose answer declares links: create, then every
    /// operation the links reach, and a read again after a delete.
    pub(super) fn link_case(&self, op: &'a Operation, base: &CaseStep) -> Option<Case> {
        if op.method != Method::Post {
            return None;
        }
        let mut create = base.clone();
        create.name = "create".into();
        let mut found = vec![Linked {
            op,
            step: create,
            rank: 0,
        }];
        let mut from = 0;
        while from < found.len() {
            let source = found[from].op;
            let links = success_links(source).filter(|_| source.method != Method::Delete);
            for link in links {
                let Some(target) = self.spec.linked(link) else {
                    continue;
                };
                if found.len() > MAX_LINKED || found.iter().any(|f| f.op.id == target.id) {
                    continue;
                }
                if let Some(step) = self.follow(&mut found[from].step, from, link, target) {
                    let rank = rank(target.method).max(found[from].rank);
                    found.push(Linked {
                        op: target,
                        step,
                        rank,
                    });
                }
            }
            from += 1;
        }
        self.sequence(op, found)
    }

    /// The step calling `target` through `link` from `source` (the
    /// `index`th step), capturing on `source` what the link reads from its
    /// answer; `None` when a value cannot be bound.
    fn follow(
        &self,
        source: &mut CaseStep,
        index: usize,
        link: &Link,
        target: &Operation,
    ) -> Option<CaseStep> {
        let mut bound = source.clone();
        let mut step = self
            .base(target)
            .unwrap_or_else(|| CaseStep::operation("", &target.id));
        step.name = format!("follow `{}` to {}", link.name, target.id);
        for (k, v) in &source.params {
            if target.parameters.iter().any(|p| p.name == *k) {
                step.params.insert(k.clone(), v.clone());
            }
        }
        for (name, expression) in &link.parameters {
            let value = bind(&mut bound, index, expression)?;
            step.params.insert(name.clone(), value);
        }
        step.body = match &link.request_body {
            Some(expression) => Some(bind(&mut bound, index, expression)?),
            None => step.body.filter(|_| target.method != Method::Delete),
        };
        step.expect = vec![json!("2XX")];
        *source = bound;
        Some(step)
    }

    /// The steps found, ordered, up to the first delete, then the read again.
    fn sequence(&self, op: &Operation, found: Vec<Linked<'_>>) -> Option<Case> {
        let mut found = found.into_iter();
        let create = found.next()?;
        let mut rest: Vec<Linked<'_>> = found.collect();
        if rest.is_empty() {
            return None;
        }
        rest.sort_by_key(|l| l.rank);
        if let Some(delete) = rest.iter().position(|l| l.op.method == Method::Delete) {
            rest.truncate(delete + 1);
        }
        let mut names = vec![create.step.name.clone()];
        names.extend(rest.iter().map(|l| l.op.id.clone()));
        let gone = rest
            .last()
            .filter(|l| l.op.method == Method::Delete)
            .and_then(|delete| {
                rest.iter()
                    .find(|l| l.op.method == Method::Get)
                    .or(Some(delete))
            })
            .map(|read| {
                let mut step = read.step.clone();
                step.name = "it is gone".into();
                step.capture.clear();
                step.expect = self.expected(read.op, Kind::Negative);
                names.push("read again".into());
                step
            });
        let mut steps = vec![create.step];
        steps.extend(rest.into_iter().map(|l| l.step));
        steps.extend(gone);
        Some(Case {
            operation: op.id.clone(),
            kind: Kind::State,
            title: format!("follow links: {}", names.join(", ")),
            steps,
        })
    }
}

/// The links of `op`'s success answers.
fn success_links(op: &Operation) -> impl Iterator<Item = &Link> {
    op.responses
        .iter()
        .filter(|r| r.status.is_success())
        .flat_map(|r| &r.links)
}

/// Where a method goes in a sequence: reads, then changes, then a delete.
fn rank(method: Method) -> u8 {
    match method {
        Method::Get | Method::Head | Method::Options => 0,
        Method::Delete => 2,
        _ => 1,
    }
}

/// The value `expression` gives, from `source` (the `index`th step): a
/// value of its answer becomes a capture on it and a `{{variable}}`. An
/// answer header cannot be captured: `None`.
fn bind(source: &mut CaseStep, index: usize, expression: &Expression) -> Option<Value> {
    match expression {
        Expression::Literal(v) => Some(v.clone()),
        Expression::RequestPath(name) | Expression::RequestQuery(name) => {
            source.params.get(name).cloned()
        }
        Expression::RequestBody(pointer) => source.body.as_ref()?.pointer(pointer).cloned(),
        Expression::ResponseBody(pointer) if !pointer.is_empty() => {
            let known = source.capture.iter().find(|(_, p)| p == pointer);
            let name = match known {
                Some((name, _)) => name.clone(),
                None => {
                    let name = format!("link_{index}_{}", source.capture.len());
                    source.capture.push((name.clone(), pointer.clone()));
                    name
                }
            };
            Some(json!(format!("{{{{{name}}}}}")))
        }
        Expression::ResponseBody(_) | Expression::ResponseHeader(_) => None,
    }
}

/// The operations a case calls, in order.
pub(super) fn calls(case: &Case) -> Vec<&str> {
    case.steps
        .iter()
        .map(|s| match &s.call {
            Call::Operation(id) => id.as_str(),
            Call::Raw(..) => "",
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::conform::{ConformOptions, Planned, plan};
    use crate::scenario::template::Vars;
    use crate::spec::Catalog;

    fn planned(spec: &str) -> Vec<Planned> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(spec);
        let catalog = Catalog::load(&[path]).expect("the spec loads");
        let options = ConformOptions {
            seed: 0,
            max_cases: 1000,
            vars: Vars::new(),
        };
        plan(&catalog, &options).expect("generated scenarios parse")
    }

    fn sequences(planned: &[Planned]) -> Vec<&Planned> {
        planned
            .iter()
            .filter(|p| p.case.kind == crate::conform::Kind::State)
            .collect()
    }

    #[test]
    fn a_create_is_followed_through_its_links_with_the_captured_identifier() {
        let planned = planned("tests/conform/linked.yaml");
        let [sequence] = sequences(&planned)[..] else {
            panic!("one linked sequence: {:#?}", sequences(&planned));
        };
        let calls = super::calls(&sequence.case);
        assert_eq!(
            calls,
            [
                "linked.registerPet",
                "linked.lookUpPet",
                "linked.updatePet",
                "linked.unregisterPet",
                "linked.lookUpPet",
            ]
        );
        let source = &sequence.scenario.source;
        // One capture of the ref, shared by both links that read it…
        assert!(
            source.contains(r#"capture: {"link_0_0":"/ref"}"#),
            "{source}"
        );
        assert_eq!(source.matches("capture:").count(), 1, "{source}");
        // …bound into the read, the update (through `$request.path.code`) and the delete…
        assert_eq!(
            source.matches(r#"params: {"code":"{{link_0_0}}"}"#).count(),
            4,
            "{source}"
        );
        // …the update sends the link's literal body, and the read after the delete is refused.
        assert!(
            source.contains(r#"body: {"name":"Rexie","age":4,"kind":"dog"}"#),
            "{source}"
        );
        assert!(
            source.ends_with("expect: {status: [401,404]}\n    snapshot: false\n"),
            "{source}"
        );
    }

    #[test]
    fn where_links_and_the_inferred_crud_agree_the_sequence_is_emitted_once() {
        let path = "tests/conform/pets.yaml";
        let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path));
        let linked = text.expect("pets.yaml").replace(
            "              schema: {$ref: \"#/components/schemas/Pet\"}\n        \"400\"",
            "              schema: {$ref: \"#/components/schemas/Pet\"}\n          links:\n            \
             Get: {operationId: pets.getPet, parameters: {petId: \"$response.body#/id\"}}\n            \
             Delete: {operationId: pets.deletePet, parameters: {petId: \"$response.body#/id\"}}\n        \"400\"",
        );
        assert!(linked.contains("links:"));
        let dir = std::env::temp_dir().join(format!("vouch-links-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("pets.yaml");
        std::fs::write(&file, linked).expect("spec written");
        let with_links = planned(&file.to_string_lossy());
        let inferred = planned(path);
        let _ = std::fs::remove_dir_all(&dir);
        let one = sequences(&with_links);
        assert_eq!(one.len(), 1, "{one:#?}");
        assert!(
            one[0].case.title.starts_with("follow links"),
            "{}",
            one[0].case.title
        );
        let crud = sequences(&inferred);
        assert_eq!(super::calls(&one[0].case), super::calls(&crud[0].case));
    }
}
