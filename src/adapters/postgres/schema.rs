//! Diesel's view of the tables (see `migrations/`).
// `table!` brings the SQL types in with a glob, as diesel's CLI writes it.
#![allow(clippy::wildcard_imports)]

/// The enum types of the schema.
pub mod sql_types {
    /// `status_enum`.
    #[derive(Debug, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "status_enum"))]
    pub struct StatusEnum;

    /// `provider_enum`.
    #[derive(Debug, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "provider_enum"))]
    pub struct ProviderEnum;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{ProviderEnum, StatusEnum};

    jobs (job_id) {
        job_id -> Int8,
        status -> StatusEnum,
        failure_info -> Nullable<Jsonb>,
        provider -> ProviderEnum,
        entity_id -> Int8,
        entity_name -> Text,
        entity_type -> Text,
        repo_full_name -> Text,
        installation_id -> Int8,
        job_labels -> Jsonb,
        k8s_pool -> Text,
        k8s_image -> Text,
        k8s_pod -> Nullable<Text>,
        html_url -> Nullable<Text>,
        job_name -> Nullable<Text>,
        run_id -> Nullable<Int8>,
        priority -> Int4,
        job_conclusion -> Nullable<Text>,
        job_created_at -> Nullable<Timestamptz>,
        job_started_at -> Nullable<Timestamptz>,
        job_completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    installation_events (id) {
        id -> Int8,
        source -> Text,
        event -> Text,
        outcome -> Text,
        delivery_id -> Nullable<Text>,
        installation_id -> Nullable<Int8>,
        app_id -> Nullable<Int8>,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Int8>,
        entity_name -> Nullable<Text>,
        job_id -> Nullable<Int8>,
        repo_full_name -> Nullable<Text>,
        payload -> Jsonb,
        received_at -> Timestamptz,
        response -> Nullable<Text>,
    }
}

diesel::table! {
    workflow_runs (run_id) {
        run_id -> Int8,
        repo_full_name -> Text,
        workflow_name -> Nullable<Text>,
        head_branch -> Nullable<Text>,
        head_sha -> Nullable<Text>,
        event -> Nullable<Text>,
        status -> Nullable<Text>,
        conclusion -> Nullable<Text>,
        entity_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{ProviderEnum, StatusEnum};

    workers (pod_name) {
        pod_name -> Text,
        provider -> Nullable<ProviderEnum>,
        entity_id -> Nullable<Int8>,
        entity_name -> Nullable<Text>,
        entity_type -> Nullable<Text>,
        installation_id -> Nullable<Int8>,
        repo_full_name -> Nullable<Text>,
        job_labels -> Nullable<Jsonb>,
        k8s_pool -> Nullable<Text>,
        k8s_image -> Nullable<Text>,
        k8s_node -> Nullable<Text>,
        status -> StatusEnum,
        failure_info -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        running_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    redelivery_checkpoints (app_id) {
        app_id -> Int8,
        checked_to -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    redelivery_tries (guid) {
        guid -> Text,
        app_id -> Int8,
        tries -> Int4,
        last_tried_at -> Timestamptz,
        gave_up -> Bool,
    }
}

diesel::table! {
    reconcile_checks (job_id) {
        job_id -> Int8,
        checks -> Int4,
        not_found -> Int4,
        next_check_at -> Timestamptz,
    }
}

diesel::joinable!(reconcile_checks -> jobs (job_id));
diesel::allow_tables_to_appear_in_same_query!(jobs, reconcile_checks);
