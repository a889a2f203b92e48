-- Sample demand and supply for `make e2e`, in the development schema: what
-- the scheduler and earlier deliveries would have left behind.
SET search_path TO staging;

-- 20 jobs: 4 waiting, 3 running, the rest finished, across two accounts.
INSERT INTO jobs (job_id, status, provider, entity_id, entity_name, entity_type, repo_full_name,
                  installation_id, job_labels, k8s_pool, k8s_image, html_url, job_name,
                  job_conclusion, created_at)
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
       now() - make_interval(mins => n * 7)
FROM generate_series(1, 20) AS n;

INSERT INTO workers (pod_name, provider, entity_id, entity_name, entity_type, job_labels, k8s_pool,
                     status, created_at)
VALUES ('runner-jupiter-1', 'github', 1001, 'riseproject-dev', 'Organization',
        '["ubuntu-24.04-riscv"]', 'cloudv10x-jupiter', 'running', now() - interval '9 minutes'),
       ('runner-scw-1', 'github', 1001, 'riseproject-dev', 'Organization',
        '["ubuntu-24.04-riscv"]', 'scw-em-rv1', 'pending', now() - interval '1 minute'),
       ('runner-octo-1', 'github', 2002, 'octo-org', 'Organization',
        '["ubuntu-24.04-riscv"]', 'scw-em-rv1', 'running', now() - interval '30 minutes');
