//! Loading rule files: every problem named by file, rule and key; the JSON Schema naming the
//! same keys as the code; the never-shorter check between two versions of a rule.

use std::collections::BTreeSet;
use std::path::PathBuf;

use eakte_retention::{RuleSet, RuleSetError, SHIPPED_RULE_FILES, shipped_rules, shortening};
use serde_json::Value;

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

const GOOD: &str = r#"
format = 1

[[rule]]
id = "probe-5"
title = "Probe"
legal_basis = "Testnorm §1"
confidence = "unconfirmed"
record_classes = ["sachakte"]
archival_value = "V"
trigger = { events = ["file.closed"], start = "end_of_year" }

[[rule.phases]]
action = "destroy"
period = { years = 5 }
"#;

fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let error: RuleSetError = RuleSet::from_sources(files).unwrap_err();
    error.problems.iter().map(ToString::to_string).collect()
}

fn one(text: &str) -> Vec<String> {
    problems(&[("probe.toml", text)])
}

#[test]
fn a_good_file_loads() {
    let rules = RuleSet::from_sources(&[("probe.toml", GOOD)]).unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules.source_of("probe-5"), Some("probe.toml"));
}

#[test]
fn problems_name_file_rule_and_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            GOOD.replace("\"unconfirmed\"", "\"maybe\""),
            "probe.toml: rule probe-5: confidence: unknown variant `maybe`",
        ),
        (
            GOOD.replace("period = {", "periode = {"),
            "probe.toml: rule probe-5: phases[0].periode: unknown field `periode`",
        ),
        (
            GOOD.replace("years = 5", "years = -5"),
            "probe.toml: rule probe-5: phases[0].period.years: invalid value",
        ),
        (
            GOOD.replace("years = 5", "years = 500"),
            "probe.toml: rule probe-5: phases[0].period: is longer than 200 years",
        ),
        (
            GOOD.replace("\"file.closed\"", "\"file.zda\""),
            "probe.toml: rule probe-5: trigger.events[0]: is not a known event",
        ),
        (
            GOOD.replace("legal_basis = \"Testnorm §1\"", "legal_basis = \" \""),
            "probe.toml: rule probe-5: legal_basis: must not be empty",
        ),
        (
            GOOD.replace("title = \"Probe\"\n", ""),
            "probe.toml: rule probe-5: missing field `title`",
        ),
        (
            GOOD.replace("action = \"destroy\"", "action = \"restrict\""),
            "probe.toml: rule probe-5: phases[0].action: the last phase must end in",
        ),
        (
            GOOD.replace("period = { years = 5 }", ""),
            "probe.toml: rule probe-5: phases[0].period: is missing",
        ),
        (
            GOOD.replace(
                "period = { years = 5 }",
                "at_least = { years = 6 }\nat_most = { years = 5 }",
            ),
            "probe.toml: rule probe-5: phases[0].at_least: is longer than at_most",
        ),
        // Counted from their own starts: twelve months from the event are not over before the
        // end of the following year for an event on 31 December.
        (
            GOOD.replace("\"end_of_year\" }", "\"event\" }").replace(
                "period = { years = 5 }",
                "at_least = { months = 12 }\nat_most = { years = 1, from = \"end_of_year\" }",
            ),
            "probe.toml: rule probe-5: phases[0].at_least: is longer than at_most",
        ),
        (
            GOOD.replace(
                "period = { years = 5 }",
                "period = { years = 5 }\nif_declined = \"keep\"",
            ),
            "probe.toml: rule probe-5: phases[0].if_declined: applies to offer_to_archive only",
        ),
        (
            GOOD.replace("trigger =", "never_before = [\"file.closed\"]\ntrigger ="),
            "probe.toml: rule probe-5: never_before[0]: must be an event that is recorded",
        ),
        (
            GOOD.replace("id = \"probe-5\"", "id = \"Probe 5\""),
            "probe.toml: rule #1: id: must be 1 to 64 lowercase letters",
        ),
        (
            GOOD.replace("format = 1", "format = 2"),
            "probe.toml: format 2 is not supported",
        ),
        (
            GOOD.replace("[[rule.phases]]", "[[rule.phases]"),
            "probe.toml: TOML parse error at line",
        ),
        (
            GOOD.to_owned() + "\n[[rule.phases]]\naction = \"keep\"\n",
            "probe.toml: rule probe-5: phases[0].action: only restrict may be followed",
        ),
    ];
    for (text, wanted) in cases {
        let found = one(&text);
        assert!(
            found.iter().any(|p| p.starts_with(wanted)),
            "wanted {wanted:?}, found {found:?}"
        );
    }
}

#[test]
fn every_problem_of_every_file_is_reported_and_ids_are_unique() {
    let bad = GOOD.replace("\"unconfirmed\"", "\"maybe\"")
        + &GOOD
            .replace("format = 1\n", "")
            .replace("probe-5", "probe-6")
            .replace("\"sachakte\"", "\"akte\"");
    let found = problems(&[("a.toml", GOOD), ("b.toml", GOOD), ("c.toml", &bad)]);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("b.toml: rule probe-5: id: is defined already in a.toml"));
    assert!(found[1].starts_with("c.toml: rule probe-5: confidence"));
    assert!(
        found[2].starts_with("c.toml: rule probe-6: record_classes[0]"),
        "{found:?}"
    );
}

#[test]
fn the_rule_directory_holds_what_is_built_in_and_loads_the_same() {
    let dir = repo_file("retention-rules");
    let from_dir = RuleSet::load_dir(&dir).unwrap();
    assert_eq!(from_dir.len(), shipped_rules().unwrap().len());
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let built_in: BTreeSet<String> = SHIPPED_RULE_FILES
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    assert_eq!(on_disk, built_in);
    // A directory without rule files, and a missing one, are refused by name.
    let empty = tempfile::tempdir().unwrap();
    assert!(
        RuleSet::load_dir(empty.path())
            .unwrap_err()
            .to_string()
            .contains("holds no rule files")
    );
    assert!(
        RuleSet::load_dir(&empty.path().join("missing"))
            .unwrap_err()
            .to_string()
            .contains("cannot read")
    );
}

fn schema_keys(value: &Value, field: &str) -> BTreeSet<String> {
    match &value[field] {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        _ => BTreeSet::new(),
    }
}

#[test]
fn schema_names_the_same_keys_and_values_as_the_code() {
    let schema: Value = serde_json::from_slice(
        &std::fs::read(repo_file("schemas/retention-rules.v1.json")).unwrap(),
    )
    .unwrap();
    let defs = &schema["$defs"];
    // Every key any shipped rule uses is in the schema, and every rule key is used somewhere.
    // The shipped rules, and one that counts a bound from elsewhere (no shipped rule does).
    let probe = GOOD.replace(
        "period = { years = 5 }",
        "at_least = { years = 1 }\nat_most = { years = 3, from = \"end_of_year\" }",
    );
    let mut sources: Vec<(String, String)> = SHIPPED_RULE_FILES
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    sources.push(("probe.toml".into(), probe));
    let rules = RuleSet::from_sources(&sources).unwrap();
    let mut rule_keys = BTreeSet::new();
    let mut phase_keys = BTreeSet::new();
    let mut period_keys = BTreeSet::new();
    for rule in rules.rules() {
        let json = serde_json::to_value(rule).unwrap();
        rule_keys.extend(json.as_object().unwrap().keys().cloned());
        for phase in json["phases"].as_array().unwrap() {
            phase_keys.extend(phase.as_object().unwrap().keys().cloned());
            for bound in ["period", "at_least", "at_most"] {
                if let Some(p) = phase[bound].as_object() {
                    period_keys.extend(p.keys().cloned());
                }
            }
        }
    }
    assert_eq!(schema_keys(&defs["rule"], "properties"), rule_keys);
    assert_eq!(schema_keys(&defs["phase"], "properties"), phase_keys);
    assert_eq!(schema_keys(&defs["period"], "properties"), period_keys);
    let events: BTreeSet<String> = eakte_retention::EVENTS
        .iter()
        .map(|e| e.name.to_owned())
        .collect();
    assert_eq!(schema_keys(&defs["event"], "enum"), events);
    // Required keys are exactly those the parser cannot do without.
    for key in schema_keys(&defs["rule"], "required") {
        let mut file: toml::Table = toml::from_str(GOOD).unwrap();
        file["rule"].as_array_mut().unwrap()[0]
            .as_table_mut()
            .unwrap()
            .remove(&key)
            .unwrap();
        let found = one(&toml::to_string(&file).unwrap());
        assert!(
            found
                .iter()
                .any(|p| p.contains(&format!("missing field `{key}`"))),
            "{key}: {found:?}"
        );
    }
}

fn rule(text: &str) -> eakte_retention::Rule {
    RuleSet::from_sources(&[("probe.toml", text)])
        .unwrap()
        .get("probe-5")
        .unwrap()
        .clone()
}

#[test]
fn a_rule_may_be_extended_and_never_shortened() {
    let old = rule(GOOD);
    assert_eq!(shortening(&old, &old), None);
    let longer = rule(&GOOD.replace("years = 5", "years = 5, days = 1"));
    assert_eq!(shortening(&old, &longer), None);
    assert!(shortening(&longer, &old).unwrap().contains("is due on"));
    // Counting from the event instead of the year's end shortens it.
    let from_event = rule(&GOOD.replace("\"end_of_year\"", "\"event\""));
    assert!(shortening(&old, &from_event).is_some());
    assert_eq!(shortening(&from_event, &old), None);
    // A further trigger event extends (the latest counts); dropping one shortens.
    let more_events =
        rule(&GOOD.replace("[\"file.closed\"]", "[\"file.closed\", \"person.died\"]"));
    assert_eq!(shortening(&old, &more_events), None);
    assert!(
        shortening(&more_events, &old)
            .unwrap()
            .contains("person.died")
    );
    // Offering instead of destroying keeps more; the reverse keeps less.
    let offer = rule(&GOOD.replace("\"destroy\"", "\"offer_to_archive\""));
    assert_eq!(shortening(&old, &offer), None);
    assert!(shortening(&offer, &old).unwrap().contains("keeps less"));
    let keep = rule(
        &GOOD
            .replace("\"destroy\"", "\"keep\"")
            .replace("period = { years = 5 }", ""),
    );
    assert_eq!(shortening(&offer, &keep), None);
    assert!(shortening(&keep, &offer).is_some());
    // A lower maximum forces earlier destruction.
    let at_most = |years: u8| {
        rule(&GOOD.replace(
            "period = { years = 5 }",
            &format!("at_most = {{ years = {years} }}"),
        ))
    };
    assert_eq!(shortening(&at_most(5), &at_most(6)), None);
    assert!(
        shortening(&at_most(6), &at_most(5))
            .unwrap()
            .contains("maximum")
    );
    // A "never before" event may be added, not dropped.
    let waits = rule(&GOOD.replace(
        "trigger =",
        "never_before = [\"document.reissued\"]\ntrigger =",
    ));
    assert_eq!(shortening(&old, &waits), None);
    assert!(
        shortening(&waits, &old)
            .unwrap()
            .contains("document.reissued")
    );
}
