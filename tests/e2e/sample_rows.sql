-- Sample demand and supply for `make e2e`, in the development schema: what
-- the scheduler and earlier deliveries would have left behind.
SET search_path TO staging;

-- 20 jobs: 4 waiting, 3 running, the rest finished, across two accounts.
INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name,
                  installation_id, job_labels, k8s_pool, k8s_image, html_url, job_name,
                  job_conclusion, job_created_at, job_started_at, job_completed_at, created_at)
SELECT 7000 + n,
       (CASE WHEN n <= 4 THEN 'pending' WHEN n <= 7 THEN 'running'
             WHEN n % 5 = 0 THEN 'failed' ELSE 'completed' END)::status_enum,
       'github',
       CASE WHEN n % 3 = 0 THEN 2002 ELSE 1001 END,
       CASE WHEN n % 3 = 0 THEN 'octo-org' ELSE 'riseproject-dev' END,
       'Organization',
       CASE WHEN n % 3 = 0 THEN 'octo-org/riscv-builds'
            WHEN n % 2 = 0 THEN 'riseproject-dev/llama.cpp' ELSE 'riscv-builds/kernel' END,
       CASE WHEN n % 3 = 0 THEN 2 ELSE 1 END,
       CASE WHEN n % 4 = 0 THEN '["ubuntu-24.04-riscv", "big"]' ELSE '["ubuntu-24.04-riscv"]' END::jsonb,
       CASE WHEN n % 2 = 0 THEN 'cloudv10x-jupiter' ELSE 'scw-em-rv1' END,
       'riscv-runner:ubuntu-24.04-staging',
       'https://github.com/riseproject-dev/llama.cpp/actions/runs/' || (900 + n) || '/job/' || (7000 + n),
       'build (' || n || ')',
       CASE WHEN n <= 7 THEN NULL WHEN n % 5 = 0 THEN 'failure' ELSE 'success' END,
       now() - make_interval(mins => n * 7),
       CASE WHEN n > 4 THEN now() - make_interval(mins => n * 7) + make_interval(secs => 20 + n * 13) END,
       CASE WHEN n > 7 THEN now() - make_interval(mins => n * 7) + make_interval(secs => 20 + n * 13 + n * 40) END,
       now() - make_interval(mins => n * 7)
FROM generate_series(1, 20) AS n;

-- Eleven weeks of finished jobs for /stats: eight accounts, busier ones
-- more often, queue and run times varying by pool and day. Four an hour
-- would be 7,000; one in five hours is plenty for charts.
INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name,
                  installation_id, job_labels, k8s_pool, k8s_image, job_name, job_conclusion,
                  job_created_at, job_started_at, job_completed_at, created_at)
SELECT 20000 + n, 'completed', 'github', 3000 + a, account, 'Organization', account || '/ci', 3,
       '["ubuntu-24.04-riscv"]', pool, 'riscv-runner:ubuntu-24.04', 'test', 'success',
       at, at + make_interval(secs => wait), at + make_interval(secs => wait + run), at
FROM (
  SELECT n, a,
         (ARRAY['riseproject-dev', 'octo-org', 'llvm-riscv', 'openjdk-riscv', 'python-riscv',
                'rust-riscv', 'ffmpeg', 'tiny-co'])[a] AS account,
         CASE WHEN n % 3 = 0 THEN 'cloudv10x-jupiter' ELSE 'scw-em-rv1' END AS pool,
         now() - make_interval(hours => n * 5) - interval '1 day' AS at,
         (15 + (n * 37) % 90 + CASE WHEN n % 3 = 0 THEN 120 ELSE 0 END
             + CASE WHEN n % 17 = 0 THEN 900 ELSE 0 END)::float8 AS wait,
         (300 + (n * 53) % 1500 + 600 * (9 - a))::float8 AS run
  FROM (SELECT n, 1 + floor(8 * power(((n * 7919) % 1000) / 1000.0, 2))::int AS a
        FROM generate_series(1, 370) AS n) picked
) jobs_by_hour;

INSERT INTO workers (pod_name, provider, entity_id, entity_name, entity_type, job_labels, k8s_pool,
                     status, created_at)
VALUES ('runner-jupiter-1', 'github', 1001, 'riseproject-dev', 'Organization',
        '["ubuntu-24.04-riscv"]', 'cloudv10x-jupiter', 'running', now() - interval '9 minutes'),
       ('runner-scw-1', 'github', 1001, 'riseproject-dev', 'Organization',
        '["ubuntu-24.04-riscv"]', 'scw-em-rv1', 'pending', now() - interval '1 minute'),
       ('runner-octo-1', 'github', 2002, 'octo-org', 'Organization',
        '["ubuntu-24.04-riscv"]', 'scw-em-rv1', 'running', now() - interval '30 minutes');

-- A pod the scheduler gave up on, with its reason.
INSERT INTO workers (pod_name, provider, entity_id, entity_name, entity_type, job_labels, k8s_pool,
                     k8s_node, status, failure_info, created_at)
VALUES ('runner-jupiter-2', 'github', 1001, 'riseproject-dev', 'Organization',
        '["ubuntu-24.04-riscv"]', 'cloudv10x-jupiter', 'jupiter-07', 'failed',
        '{"reason": "ImagePullBackOff", "message": "image riscv-runner:ubuntu-24.04-staging not found"}',
        now() - interval '2 hours');

-- A job delivery no rule matched (a label typo): it stays queued on GitHub.
INSERT INTO installation_events (source, event, outcome, delivery_id, installation_id, app_id,
                                 entity_type, entity_id, entity_name, job_id, repo_full_name,
                                 payload, response, received_at)
VALUES ('webhook', 'workflow_job.queued', 'ignored_no_label', 'e2e-ignored-1', 1, 1,
        'Organization', 1001, 'riseproject-dev', 7999, 'riseproject-dev/llama.cpp',
        '{"labels": ["ubuntu-24.04-riscv64"]}', 'Ignoring job: missing required platform label',
        now() - interval '25 minutes');

-- The scheduler names the pod serving a job in its row.
UPDATE jobs SET k8s_pod = 'runner-octo-1' WHERE job_id = 7006;
