"""AWS list prices the cost benchmark uses: one place, with their date and region.

us-east-1, on-demand, as AWS's public pricing pages list them in December 2026 (the prices current since the
DynamoDB on-demand cut of November 2024). No free tier is applied anywhere: every figure is what the same work costs
an account that has used its free tier up. Messaging (SES, SNS SMS, WhatsApp) is priced per message by its channel
and is the store's choice, not Proativo's infrastructure: it is printed apart, never inside `infra_usd_per_order`.
"""

AS_OF = "2026-12, us-east-1, list prices, no free tier"

LAMBDA_REQUEST = 0.20 / 1e6  # per invocation
LAMBDA_GB_SECOND = 0.0000133334  # arm64 (the template's architecture), per GB-second of billed duration
DYNAMODB_WRITE_UNIT = 0.625 / 1e6  # on-demand write request unit
DYNAMODB_READ_UNIT = 0.125 / 1e6  # on-demand read request unit
SQS_REQUEST = 0.40 / 1e6  # standard queue, per request (each 64 KB chunk of a request is one)
HTTP_API_REQUEST = 1.00 / 1e6  # API Gateway HTTP API, first 300 million a month
SCHEDULED_INVOCATION = 1.00 / 1e6  # EventBridge scheduled invocation
LOGS_INGESTED_GB = 0.50  # CloudWatch Logs, standard class
XRAY_TRACE = 5.00 / 1e6  # X-Ray, per trace recorded
METRIC_MONTH = 0.30  # CloudWatch custom metric (a name and dimension set), prorated by the hour it receives data
ALARM_MONTH = 0.10  # CloudWatch standard-resolution alarm
DASHBOARD_MONTH = 3.00  # CloudWatch dashboard
SES_EMAIL = 0.10 / 1e3  # per e-mail sent (messaging, not infrastructure)

HOURS_PER_MONTH = 730
