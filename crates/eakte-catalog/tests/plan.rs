//! The file plan: the demo plan, the JSON Schema beside the code, and each validation error.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use eakte_catalog::{FilePlan, MAX_PLAN_BYTES, MAX_PLAN_UNITS, PlanError, RecordClass};
use serde_json::{Value, json};

use common::{code, small_plan, unit};

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn parse(value: &Value) -> Result<FilePlan, PlanError> {
    FilePlan::from_json(&serde_json::to_vec(value).unwrap())
}

fn small_json() -> Value {
    serde_json::to_value(small_plan()).unwrap()
}

#[test]
fn demo_plan_parses_and_is_realistic() {
    let bytes = std::fs::read(repo_file("fixtures/plan/buergerbuero.json")).unwrap();
    let plan = FilePlan::from_json(&bytes).unwrap();
    let units: Vec<_> = plan.units().collect();
    assert!((40..=80).contains(&units.len()), "{} units", units.len());
    let deepest = units.iter().map(|(depth, _)| *depth).max().unwrap();
    assert!((1..=2).contains(&deepest), "depth {deepest}");
    let top: BTreeSet<&str> = plan.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(top, BTreeSet::from(["32", "33", "34", "35", "36"]));
    let anmeldung = plan.find(&code("33.11")).unwrap();
    assert_eq!(anmeldung.title, "Anmeldungen");
    assert_eq!(
        anmeldung.retention_rule.as_deref(),
        Some("bmg-13-melderegister")
    );
    // Both siblings sharing a prefix are found, 33.1 and the 33.10 below it.
    assert_eq!(plan.find(&code("33.1")).unwrap().title, "Meldewesen");
    assert!(plan.find(&code("33.10")).is_some());
    assert!(plan.find(&code("37")).is_none());
    for rule in [
        "pauswg-23-4-ausweisregister",
        "bmg-13-melderegister",
        "pstg-6-sammelakten-geburt",
        "fahrerlaubnisakte-10",
        "gemhvo-belege-6",
    ] {
        assert!(
            units
                .iter()
                .any(|(_, u)| u.retention_rule.as_deref() == Some(rule)),
            "{rule}"
        );
    }
    // It round-trips through its own serialisation.
    let again = FilePlan::from_json(&serde_json::to_vec(&plan).unwrap()).unwrap();
    assert_eq!(again, plan);
}

/// The keys a full unit and plan serialise to.
fn serialised_keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn schema_keys(schema: &Value, field: &str) -> BTreeSet<String> {
    match &schema[field] {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("{field} is {other}"),
    }
}

#[test]
fn schema_names_the_same_keys_as_the_code() {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(repo_file("schemas/file-plan.v1.json")).unwrap())
            .unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut plan = small_plan();
    plan.valid_from = Some(common::date(1));
    plan.units[0].children[1].children = vec![unit("33.20", vec![])];
    let plan_json = serde_json::to_value(&plan).unwrap();
    let unit_json = &plan_json["units"][0];
    let unit_schema = &schema["$defs"]["unit"];

    assert_eq!(
        schema_keys(&schema, "properties"),
        serialised_keys(&plan_json)
    );
    assert_eq!(
        schema_keys(unit_schema, "properties"),
        serialised_keys(unit_json)
    );
    let required = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        schema_keys(&schema, "required"),
        required(&["format", "plan_version", "title", "units"])
    );
    assert_eq!(
        schema_keys(unit_schema, "required"),
        required(&["code", "title", "record_class", "unit", "archival_value"])
    );
    // Required keys are exactly those the parser cannot do without.
    for key in schema_keys(unit_schema, "required") {
        let mut value = small_json();
        value["units"][1].as_object_mut().unwrap().remove(&key);
        assert!(
            matches!(parse(&value), Err(PlanError::Parse { .. })),
            "{key}"
        );
    }
    let mut optional = small_json();
    optional["units"][1]
        .as_object_mut()
        .unwrap()
        .remove("retention_rule");
    assert!(parse(&optional).is_ok());

    let classes: Vec<Value> = [
        RecordClass::Sachakte,
        RecordClass::Fallakte,
        RecordClass::Sammelakte,
    ]
    .iter()
    .map(|c| serde_json::to_value(c).unwrap())
    .collect();
    assert_eq!(
        unit_schema["properties"]["record_class"]["enum"],
        json!(classes)
    );
}

#[test]
fn units_are_pre_order_with_depth() {
    let plan = small_plan();
    let order: Vec<(usize, &str)> = plan
        .units()
        .map(|(depth, u)| (depth, u.code.as_str()))
        .collect();
    assert_eq!(
        order,
        [(0, "33"), (1, "33.1"), (2, "33.10"), (1, "33.2"), (0, "34")]
    );
}

#[test]
fn shape_errors() {
    assert!(matches!(
        FilePlan::from_json(b"not json"),
        Err(PlanError::Parse { .. })
    ));
    let mut unknown = small_json();
    unknown["units"][0]["colour"] = json!("blue");
    assert!(matches!(parse(&unknown), Err(PlanError::Parse { .. })));
    let mut format = small_json();
    format["format"] = json!(2);
    assert_eq!(
        parse(&format),
        Err(PlanError::Format {
            found: 2,
            supported: 1
        })
    );
    let mut no_units = small_json();
    no_units["units"] = json!([]);
    assert_eq!(parse(&no_units), Err(PlanError::NoUnits));
    let mut blank = small_json();
    blank["plan_version"] = json!("  ");
    assert_eq!(
        parse(&blank),
        Err(PlanError::EmptyPlanField {
            field: "plan_version"
        })
    );
}

#[test]
fn unit_errors_name_the_unit() {
    let mut title = small_json();
    title["units"][0]["children"][0]["title"] = json!("");
    assert_eq!(
        parse(&title),
        Err(PlanError::EmptyUnitField {
            code: code("33.1"),
            field: "title"
        })
    );
    let mut owner = small_json();
    owner["units"][1]["unit"] = json!(" ");
    assert_eq!(
        parse(&owner),
        Err(PlanError::EmptyUnitField {
            code: code("34"),
            field: "unit"
        })
    );
    let mut duplicate = small_json();
    duplicate["units"][1]["code"] = json!("33");
    assert_eq!(
        parse(&duplicate),
        Err(PlanError::DuplicateCode { code: code("33") })
    );
    let mut stray = small_json();
    stray["units"][0]["children"][1]["code"] = json!("34.2");
    assert_eq!(
        parse(&stray),
        Err(PlanError::NotNested {
            code: code("34.2"),
            parent: code("33")
        })
    );
    let mut same = small_json();
    same["units"][0]["children"][1]["code"] = json!("33");
    assert_eq!(
        parse(&same),
        Err(PlanError::NotNested {
            code: code("33"),
            parent: code("33")
        })
    );
    for bad in ["BMG-15", "bmg 15", "", &"a".repeat(65)] {
        let mut rule = small_json();
        rule["units"][1]["retention_rule"] = json!(bad);
        assert_eq!(
            parse(&rule),
            Err(PlanError::BadRuleId {
                code: code("34"),
                rule: bad.to_owned()
            })
        );
    }
}

#[test]
fn size_limits() {
    // Seven levels by appending digits: 1, 11, …, then groups.
    let codes = ["1", "11", "111", "1111", "1111.1", "1111.11", "1111.111"];
    let mut deep = unit(codes[6], vec![]);
    for c in codes[..6].iter().rev() {
        deep = unit(c, vec![deep]);
    }
    let mut plan = small_plan();
    plan.units = vec![deep];
    assert_eq!(
        plan.validate(),
        Err(PlanError::TooDeep {
            code: code("1111.111"),
            level: 7,
            limit: 6
        })
    );
    plan.units[0].children[0].children[0].children[0].children[0].children[0]
        .children
        .clear();
    assert_eq!(plan.validate(), Ok(()));

    let mut many = small_plan();
    many.units = (0..=MAX_PLAN_UNITS)
        .map(|i| unit(&format!("{}.{}", i / 1000 + 1, i % 1000), vec![]))
        .collect();
    let bytes = serde_json::to_vec(&many).unwrap();
    assert!(bytes.len() <= MAX_PLAN_BYTES);
    assert_eq!(
        FilePlan::from_json(&bytes),
        Err(PlanError::TooManyUnits {
            limit: MAX_PLAN_UNITS
        })
    );
    many.units.pop();
    assert_eq!(many.validate(), Ok(()));

    let mut big = small_json();
    big["title"] = json!("x".repeat(MAX_PLAN_BYTES));
    let bytes = serde_json::to_vec(&big).unwrap();
    assert_eq!(
        FilePlan::from_json(&bytes),
        Err(PlanError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_PLAN_BYTES
        })
    );
}
