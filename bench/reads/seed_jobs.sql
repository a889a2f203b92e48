-- :jobs finished jobs over the last 90 days for /stats, shaped like the
-- delivery log's fleet: a few hundred accounts (a few of them busy), two
-- pools, queue times of seconds to minutes and runs of minutes.
INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name,
    installation_id, job_labels, k8s_pool, k8s_image, job_conclusion,
    job_created_at, job_started_at, job_completed_at, created_at, updated_at)
SELECT 50000000 + n, 'completed', 'github', 5000 + a, 'account-' || a, 'Organization',
    'account-' || a || '/repo-' || (n % 3000), 1000 + a, '["ubuntu-24.04-riscv"]',
    CASE WHEN n % 3 = 0 THEN 'cloudv10x-jupiter' ELSE 'scw-em-rv1' END, 'riscv-runner:ubuntu-24.04',
    'success', at, at + make_interval(secs => wait), at + make_interval(secs => wait + 60 + n % 3600),
    at, at
FROM generate_series(1, :jobs) AS n
CROSS JOIN LATERAL (
    SELECT floor(300 * power(((n::bigint * 7919) % 10007) / 10007.0, 3))::int AS a,
           now() - interval '90 days' + (n::float8 / :jobs) * interval '90 days' AS at,
           (5 + (n::bigint * 37) % 300)::float8 AS wait
) shape;
ANALYZE jobs;
