//! Routing cases: order, case, duplicates, extra labels, empty lists, scopes,
//! exclusive scopes, subset mode, priority and deployment tags.

use super::*;

const GGML_ORG: EntityId = EntityId(1001);
const RISE: EntityId = EntityId(2002);
const OTHER: EntityId = EntityId(3003);

fn labels(list: &[&str]) -> LabelSet {
    list.iter().collect()
}

fn rule(name: &str, scope: Option<&str>, list: &[&str], pool: &str) -> Rule {
    Rule {
        name: name.into(),
        scope: scope.map(Into::into),
        labels: labels(list),
        pool: pool.into(),
        image: "riscv-runner:ubuntu-24.04".into(),
        priority: 0,
        mode: MatchMode::Exact,
    }
}

fn ggml_scope(exclusive: bool) -> Scope {
    Scope {
        name: "ggml".into(),
        owner_ids: vec![],
        repos: [
            "ggml-org/*",
            "riseproject-dev/llama.cpp",
            "riseproject-dev/llama.cpp-validation",
        ]
        .into_iter()
        .map(RepoGlob::new)
        .collect(),
        exclusive,
    }
}

/// The predecessor's table.
fn predecessor(deployment: Deployment) -> Router {
    Router::new(
        vec![ggml_scope(true)],
        vec![
            rule(
                "ggml",
                Some("ggml"),
                &["ubuntu-24.04-riscv"],
                "cloudv10x-jupiter",
            ),
            rule("default", None, &["ubuntu-24.04-riscv"], "scw-em-rv1"),
        ],
        [],
        deployment,
    )
    .unwrap()
}

fn pool_of(route: &Route) -> Option<&str> {
    match route {
        Route::Placed(placement) => Some(&placement.pool),
        Route::Unrouted { .. } => None,
    }
}

#[test]
fn the_predecessor_table_routes_as_before() {
    let router = predecessor(Deployment::Production);
    let riscv = labels(&["ubuntu-24.04-riscv"]);
    let cases = [
        (RISE, "riseproject-dev/other", &riscv, Some("scw-em-rv1")),
        (
            GGML_ORG,
            "ggml-org/llama.cpp",
            &riscv,
            Some("cloudv10x-jupiter"),
        ),
        (
            RISE,
            "riseproject-dev/llama.cpp",
            &riscv,
            Some("cloudv10x-jupiter"),
        ),
        (
            RISE,
            "riseproject-dev/llama.cpp-validation",
            &riscv,
            Some("cloudv10x-jupiter"),
        ),
        (OTHER, "someone/project", &riscv, Some("scw-em-rv1")),
    ];
    for (owner, repo, job_labels, pool) in cases {
        assert_eq!(
            pool_of(&router.route(owner, repo, job_labels)),
            pool,
            "{repo}"
        );
    }
}

#[test]
fn the_image_tag_follows_the_deployment() {
    let riscv = labels(&["ubuntu-24.04-riscv"]);
    for (deployment, image) in [
        (Deployment::Production, "riscv-runner:ubuntu-24.04-latest"),
        (Deployment::Staging, "riscv-runner:ubuntu-24.04-staging"),
    ] {
        let Route::Placed(placement) = predecessor(deployment).route(RISE, "a/b", &riscv) else {
            panic!("not routed");
        };
        assert_eq!(placement.image, image);
    }
}

#[test]
fn labels_compare_without_case_order_or_duplicates() {
    let router = predecessor(Deployment::Staging);
    for list in [
        &["UBUNTU-24.04-RISCV"][..],
        &["ubuntu-24.04-riscv", "Ubuntu-24.04-RISCV"][..],
    ] {
        assert_eq!(
            pool_of(&router.route(RISE, "a/b", &labels(list))),
            Some("scw-em-rv1"),
            "{list:?}"
        );
    }
}

#[test]
fn exact_mode_rejects_extra_labels_and_empty_lists() {
    let router = predecessor(Deployment::Staging);
    for list in [
        &["ubuntu-24.04-riscv", "self-hosted"][..],
        &[][..],
        &["ubuntu-latest"][..],
    ] {
        assert_eq!(
            pool_of(&router.route(RISE, "a/b", &labels(list))),
            None,
            "{list:?}"
        );
    }
}

#[test]
fn subset_mode_accepts_any_non_empty_part_of_the_rule_labels() {
    let mut subset = rule("gh", None, &["self-hosted", "linux", "riscv64"], "pool-a");
    subset.mode = MatchMode::Subset;
    let router = Router::new(vec![], vec![subset], [], Deployment::Staging).unwrap();
    let cases = [
        (&["self-hosted", "riscv64"][..], Some("pool-a")),
        (&["RISCV64"][..], Some("pool-a")),
        (&["self-hosted", "linux", "riscv64"][..], Some("pool-a")),
        (&["self-hosted", "x64"][..], None),
        (&[][..], None),
    ];
    for (list, pool) in cases {
        assert_eq!(
            pool_of(&router.route(RISE, "a/b", &labels(list))),
            pool,
            "{list:?}"
        );
    }
}

#[test]
fn the_first_matching_rule_wins() {
    let router = Router::new(
        vec![],
        vec![
            rule("first", None, &["x"], "pool-1"),
            rule("second", None, &["x"], "pool-2"),
        ],
        [],
        Deployment::Staging,
    )
    .unwrap();
    assert_eq!(
        pool_of(&router.route(RISE, "a/b", &labels(&["x"]))),
        Some("pool-1")
    );
}

#[test]
fn scopes_select_by_owner_id_or_repository_glob() {
    let scope = Scope {
        name: "vip".into(),
        owner_ids: vec![OTHER],
        repos: vec![RepoGlob::new("rise/special-*")],
        exclusive: false,
    };
    let router = Router::new(
        vec![scope],
        vec![
            rule("vip", Some("vip"), &["x"], "fast"),
            rule("default", None, &["x"], "slow"),
        ],
        [],
        Deployment::Staging,
    )
    .unwrap();
    let x = labels(&["x"]);
    assert_eq!(
        pool_of(&router.route(OTHER, "other/anything", &x)),
        Some("fast")
    );
    assert_eq!(
        pool_of(&router.route(RISE, "rise/special-one", &x)),
        Some("fast")
    );
    assert_eq!(
        pool_of(&router.route(RISE, "rise/ordinary", &x)),
        Some("slow")
    );
}

#[test]
fn a_non_exclusive_scope_lets_later_rules_route_its_jobs() {
    let router = Router::new(
        vec![ggml_scope(false)],
        vec![
            rule(
                "ggml",
                Some("ggml"),
                &["ubuntu-24.04-riscv"],
                "cloudv10x-jupiter",
            ),
            rule("generic", None, &["other-label"], "scw-em-rv1"),
        ],
        [],
        Deployment::Staging,
    )
    .unwrap();
    let route = router.route(GGML_ORG, "ggml-org/llama.cpp", &labels(&["other-label"]));
    assert_eq!(pool_of(&route), Some("scw-em-rv1"));
}

#[test]
fn an_exclusive_scope_keeps_its_unmatched_jobs_from_later_rules() {
    let router = Router::new(
        vec![ggml_scope(true)],
        vec![
            rule(
                "ggml",
                Some("ggml"),
                &["ubuntu-24.04-riscv"],
                "cloudv10x-jupiter",
            ),
            rule("generic", None, &["other-label"], "scw-em-rv1"),
        ],
        [],
        Deployment::Staging,
    )
    .unwrap();
    let route = router.route(GGML_ORG, "ggml-org/llama.cpp", &labels(&["other-label"]));
    assert_eq!(
        route,
        Route::Unrouted {
            confined_to: Some("ggml".into())
        }
    );
    let outside = router.route(RISE, "riseproject-dev/other", &labels(&["other-label"]));
    assert_eq!(pool_of(&outside), Some("scw-em-rv1"));
}

#[test]
fn an_exclusive_scope_still_tries_its_own_later_rules() {
    let router = Router::new(
        vec![ggml_scope(true)],
        vec![
            rule("ggml-a", Some("ggml"), &["a"], "pool-a"),
            rule("generic-b", None, &["b"], "generic"),
            rule("ggml-b", Some("ggml"), &["b"], "pool-b"),
        ],
        [],
        Deployment::Staging,
    )
    .unwrap();
    assert_eq!(
        pool_of(&router.route(GGML_ORG, "ggml-org/x", &labels(&["b"]))),
        Some("pool-b")
    );
}

#[test]
fn priority_adds_label_weights_to_the_rule_priority() {
    let mut urgent_rule = rule("any", None, &["riscv", "urgent", "deploy"], "p");
    urgent_rule.mode = MatchMode::Subset;
    urgent_rule.priority = 5;
    let weights = [("Deploy".to_owned(), 100), ("urgent".to_owned(), 50)];
    let router = Router::new(vec![], vec![urgent_rule], weights, Deployment::Staging).unwrap();
    let priority = |list: &[&str]| match router.route(RISE, "a/b", &labels(list)) {
        Route::Placed(placement) => placement.priority,
        Route::Unrouted { .. } => panic!("not routed"),
    };
    assert_eq!(priority(&["riscv"]), 5);
    assert_eq!(priority(&["riscv", "URGENT"]), 55);
    assert_eq!(priority(&["riscv", "urgent", "deploy"]), 155);
}

#[test]
fn configuration_mistakes_are_all_reported() {
    let mut bad = rule("bad", Some("nowhere"), &[], " ");
    bad.image = String::new();
    let errors = Router::new(
        vec![ggml_scope(true), ggml_scope(false)],
        vec![bad.clone(), bad],
        [],
        Deployment::Staging,
    )
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for expected in [
        "routing scope name \"ggml\" is used twice",
        "routing rule name \"bad\" is used twice",
        "routing rule \"bad\" has no labels",
        "routing rule \"bad\" has an empty pool",
        "routing rule \"bad\" has an empty image",
        "routing rule \"bad\" names unknown scope \"nowhere\"",
    ] {
        assert!(
            text.iter().any(|line| line == expected),
            "missing {expected:?} in {text:?}"
        );
    }
}
