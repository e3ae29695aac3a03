"""`proativo`: the operator's command line. Works against a deployed stack (`--stack`, read from CloudFormation) or
any table and stage given directly, such as the local stack's (`AWS_ENDPOINT_URL` pointing at its embedded AWS).

    proativo stores add minha-loja --platform shopify --name "Minha Loja" --secret-stdin
    proativo stores rotate-secret minha-loja --platform woocommerce
    proativo stores set-api-credentials minha-loja --platform vtex < vtex-credentials.json
    proativo stores set-carrier-credentials minha-loja --carrier correios < correios-contract.json
    proativo stores set-tracking-policy minha-loja --stalled-business-days 2 --pickup-hold-days 7
    proativo stores list
    proativo flows set minha-loja my-flows.yaml
    proativo claims list minha-loja
    proativo carriers scorecard minha-loja --days 30
    proativo claims record minha-loja --carrier jadlog --tracking-code X --status open --protocol 123
"""
