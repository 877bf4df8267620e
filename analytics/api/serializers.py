"""The analytics API's query parameters (validated: 400 on bad input) and answer shapes (for the schema)."""

from typing import Any

from rest_framework import serializers

from .. import selectors

MONEY_HELP = "Decimal string with two places, in `currency`"


def _money(**kwargs: Any) -> serializers.CharField:
    kwargs.setdefault("help_text", MONEY_HELP)
    return serializers.CharField(**kwargs)


def _rounded(**kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(**kwargs)


# --- query parameters ------------------------------------------------------------------------------


class SummaryQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=selectors.MAX_DAYS, default=selectors.DEFAULT_DAYS)


class PeriodQuery(SummaryQuery):
    interval = serializers.ChoiceField(choices=selectors.INTERVALS, default="day")


class TopFreelancersQuery(SummaryQuery):
    by = serializers.ChoiceField(choices=selectors.FREELANCER_ORDERINGS, default="earnings")


class TopClientsQuery(SummaryQuery):
    by = serializers.ChoiceField(choices=selectors.CLIENT_ORDERINGS, default="spend")


# --- the dashboard summary --------------------------------------------------------------------------


class AnalyticsUserTypesSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    freelancer = serializers.IntegerField()


class AnalyticsSummaryUsersSerializer(serializers.Serializer):
    total_users = serializers.IntegerField(help_text="Every account")
    active_users = serializers.IntegerField(help_text="Accounts that signed in during the period")
    verified_users = serializers.IntegerField()
    users_with_2fa = serializers.IntegerField()
    user_types = AnalyticsUserTypesSerializer()
    period_days = serializers.IntegerField()


class AnalyticsStatusBreakdownSerializer(serializers.Serializer):
    draft = serializers.IntegerField()
    open = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class AnalyticsSummaryProjectsSerializer(serializers.Serializer):
    status_breakdown = AnalyticsStatusBreakdownSerializer()
    average_budget = _money(allow_null=True, help_text="Average budget midpoint of the posted projects in "
                                                       "`currency`; null without any")
    currency = serializers.CharField()
    projects_last_30_days = serializers.IntegerField(
        help_text="Projects posted during the period; the name carries the period: projects_last_<days>_days")
    average_proposals_per_project = _rounded()


class AnalyticsPaymentMethodsSerializer(serializers.Serializer):
    stripe = _money()


class AnalyticsSummaryRevenueSerializer(serializers.Serializer):
    total_revenue = _money(help_text="Escrow fundings received during the period")
    platform_fees = _money(help_text="Platform fees earned during the period")
    net_revenue = _money(help_text="total_revenue less platform_fees")
    transaction_count = serializers.IntegerField()
    average_transaction = _money()
    payment_methods = AnalyticsPaymentMethodsSerializer()
    currency = serializers.CharField()


class AnalyticsSummaryHealthSerializer(serializers.Serializer):
    active_disputes = serializers.IntegerField()
    pending_support_tickets = serializers.IntegerField()
    average_response_time_hours = _rounded(allow_null=True)
    user_satisfaction_rating = _rounded(allow_null=True, help_text="Average review rating, 1 to 5")
    daily_active_users = serializers.IntegerField(help_text="Accounts that signed in during the last 24 hours")


class AnalyticsSummaryEngagementSerializer(serializers.Serializer):
    period_days = serializers.IntegerField()
    messages_sent = serializers.IntegerField()
    proposals_submitted = serializers.IntegerField()
    projects_posted = serializers.IntegerField()
    contracts_created = serializers.IntegerField()
    reviews_posted = serializers.IntegerField()


class AnalyticsSummarySerializer(serializers.Serializer):
    users = AnalyticsSummaryUsersSerializer()
    projects = AnalyticsSummaryProjectsSerializer()
    revenue = AnalyticsSummaryRevenueSerializer()
    health = AnalyticsSummaryHealthSerializer()
    engagement = AnalyticsSummaryEngagementSerializer()


# --- the detailed endpoints ---------------------------------------------------------------------------


class AnalyticsPeriodFieldsSerializer(serializers.Serializer):
    period_days = serializers.IntegerField()
    interval = serializers.ChoiceField(choices=selectors.INTERVALS)
    start = serializers.DateTimeField(help_text="Midnight (UTC) at the start of the first day of the period")
    end = serializers.DateTimeField()


class AnalyticsUserTotalsSerializer(serializers.Serializer):
    total_users = serializers.IntegerField()
    new_users = serializers.IntegerField()
    active_users = serializers.IntegerField()
    daily_active_users = serializers.IntegerField()
    verified_users = serializers.IntegerField()
    users_with_2fa = serializers.IntegerField()
    verification_rate = _rounded(help_text="Percent of all accounts")
    two_factor_rate = _rounded(help_text="Percent of all accounts")
    user_types = AnalyticsUserTypesSerializer()


class AnalyticsUserBucketSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the bucket")
    clients = serializers.IntegerField(help_text="Clients who signed up")
    freelancers = serializers.IntegerField(help_text="Freelancers who signed up")
    total = serializers.IntegerField(help_text="Every sign-up")
    active_users = serializers.IntegerField(help_text="Distinct accounts that signed in")


class AnalyticsCountrySerializer(serializers.Serializer):
    country = serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2; null when not given")
    users = serializers.IntegerField()


class AnalyticsUsersSerializer(AnalyticsPeriodFieldsSerializer):
    totals = AnalyticsUserTotalsSerializer()
    series = AnalyticsUserBucketSerializer(many=True)
    countries = AnalyticsCountrySerializer(many=True)


class AnalyticsProjectTotalsSerializer(serializers.Serializer):
    projects_created = serializers.IntegerField()
    projects_posted = serializers.IntegerField()
    proposals_submitted = serializers.IntegerField()
    average_proposals_per_project = _rounded()
    completion_rate = _rounded(help_text="Percent of the period's posted projects that are completed")
    average_budget = _money(allow_null=True)
    currency = serializers.CharField()


class AnalyticsProjectBucketSerializer(serializers.Serializer):
    period = serializers.DateField()
    projects_posted = serializers.IntegerField()
    proposals_submitted = serializers.IntegerField()


class AnalyticsStatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()


class AnalyticsFunnelSerializer(serializers.Serializer):
    projects = AnalyticsStatusCountSerializer(many=True, help_text="Projects created in the period, by status now")
    proposals = AnalyticsStatusCountSerializer(many=True, help_text="Proposals sent in the period, by status now")


class AnalyticsCategorySerializer(serializers.Serializer):
    category = serializers.CharField(allow_null=True)
    slug = serializers.CharField(allow_null=True)
    projects = serializers.IntegerField()


class AnalyticsAverageBudgetSerializer(serializers.Serializer):
    currency = serializers.CharField()
    projects = serializers.IntegerField()
    average_budget_min = _money()
    average_budget_max = _money()
    average_budget = _money()


class AnalyticsProjectsSerializer(AnalyticsPeriodFieldsSerializer):
    totals = AnalyticsProjectTotalsSerializer()
    series = AnalyticsProjectBucketSerializer(many=True)
    status_funnel = AnalyticsFunnelSerializer()
    categories = AnalyticsCategorySerializer(many=True)
    average_budgets = AnalyticsAverageBudgetSerializer(many=True)


class AnalyticsRevenueTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total_revenue = _money()
    platform_fees = _money()
    net_revenue = _money()
    refunds = _money()
    releases = _money(help_text="Paid to freelancers, net of fees")
    transaction_count = serializers.IntegerField()
    average_transaction = _money()


class AnalyticsRevenueBucketSerializer(serializers.Serializer):
    period = serializers.DateField()
    fundings = _money()
    fees = _money()
    refunds = _money()
    transaction_count = serializers.IntegerField()


class AnalyticsRevenueSerializer(AnalyticsPeriodFieldsSerializer):
    currency = serializers.CharField()
    totals = AnalyticsRevenueTotalsSerializer()
    series = AnalyticsRevenueBucketSerializer(many=True)
    by_currency = AnalyticsRevenueTotalsSerializer(many=True)


class AnalyticsTopFreelancerSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    country = serializers.CharField(allow_null=True)
    earnings = _money(help_text="Released to the freelancer during the period, net of fees")
    currency = serializers.CharField()
    completed_contracts = serializers.IntegerField(help_text="Completed during the period")
    average_rating = _rounded(allow_null=True)
    review_count = serializers.IntegerField()
    success_rate = _rounded(allow_null=True, help_text="Percent of ended contracts that completed")


class AnalyticsTopFreelancersSerializer(serializers.Serializer):
    period_days = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    by = serializers.ChoiceField(choices=selectors.FREELANCER_ORDERINGS)
    currency = serializers.CharField()
    results = AnalyticsTopFreelancerSerializer(many=True)


class AnalyticsTopClientSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    company = serializers.CharField()
    country = serializers.CharField(allow_null=True)
    total_spent = _money(help_text="Funded less refunded during the period")
    funded = _money()
    refunded = _money()
    currency = serializers.CharField()
    projects_posted = serializers.IntegerField()
    contracts_created = serializers.IntegerField()


class AnalyticsTopClientsSerializer(serializers.Serializer):
    period_days = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    by = serializers.ChoiceField(choices=selectors.CLIENT_ORDERINGS)
    currency = serializers.CharField()
    results = AnalyticsTopClientSerializer(many=True)


# --- the deeper figures (analytics/insights.py) ---------------------------------------------------------


class AnalyticsPeriodOnlySerializer(serializers.Serializer):
    period_days = serializers.IntegerField()
    start = serializers.DateTimeField(help_text="Midnight (UTC) at the start of the first day of the period")
    end = serializers.DateTimeField()


class RegistrationBucketSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the bucket")
    clients = serializers.IntegerField()
    freelancers = serializers.IntegerField()
    total = serializers.IntegerField()
    cumulative = serializers.IntegerField(help_text="Sign-ups from the start of the period to this bucket's end")


class RegistrationTotalsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    clients = serializers.IntegerField()
    freelancers = serializers.IntegerField()
    previous_period = serializers.IntegerField(help_text="Sign-ups in the same number of days before the period")
    change_percent = _rounded(allow_null=True, help_text="Against the period before; null when it had none")


class AnalyticsRegistrationsSerializer(AnalyticsPeriodFieldsSerializer):
    totals = RegistrationTotalsSerializer()
    series = RegistrationBucketSerializer(many=True)


class LocationSerializer(serializers.Serializer):
    country = serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2; null when not given")
    users = serializers.IntegerField()
    new_users = serializers.IntegerField(help_text="Signed up during the period")
    clients = serializers.IntegerField()
    freelancers = serializers.IntegerField()
    share = _rounded(help_text="Percent of all members")


class AnalyticsLocationsSerializer(AnalyticsPeriodOnlySerializer):
    total_users = serializers.IntegerField(help_text="Clients and freelancers (staff accounts are not counted)")
    countries_count = serializers.IntegerField()
    countries = LocationSerializer(many=True)


class ProjectCompletionSerializer(serializers.Serializer):
    posted = serializers.IntegerField(help_text="Created during the period, drafts left out")
    open = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    completion_rate = _rounded(help_text="Percent of posted that are completed")
    cancellation_rate = _rounded()


class ContractCompletionSerializer(serializers.Serializer):
    started = serializers.IntegerField()
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    disputed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    completion_rate = _rounded(help_text="Percent of started that are completed")
    ended_completion_rate = _rounded(help_text="Percent of those ended (completed or cancelled) that completed")


class MilestoneCompletionSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    pending = serializers.IntegerField()
    funded = serializers.IntegerField()
    submitted = serializers.IntegerField()
    released = serializers.IntegerField()
    refunded = serializers.IntegerField()
    disputed = serializers.IntegerField()
    release_rate = _rounded(help_text="Percent of those settled (released or refunded) that were released")


class AnalyticsCompletionRatesSerializer(AnalyticsPeriodOnlySerializer):
    projects = ProjectCompletionSerializer()
    contracts = ContractCompletionSerializer()
    milestones = MilestoneCompletionSerializer()


class CategoryPopularitySerializer(serializers.Serializer):
    category = serializers.CharField(allow_null=True)
    slug = serializers.CharField(allow_null=True)
    projects = serializers.IntegerField()
    share = _rounded(help_text="Percent of the period's posted projects")
    proposals = serializers.IntegerField()
    proposals_per_project = _rounded()
    completed = serializers.IntegerField()
    average_budget = _money(allow_null=True)


class AnalyticsCategoriesSerializer(AnalyticsPeriodOnlySerializer):
    currency = serializers.CharField()
    projects_posted = serializers.IntegerField()
    categories = CategoryPopularitySerializer(many=True)


class RevenueTrendBucketSerializer(serializers.Serializer):
    period = serializers.DateField()
    fundings = _money()
    subscriptions = _money()
    refunds = _money()
    releases = _money(help_text="Paid to freelancers, net of fees")
    revenue = _money(help_text="Fundings and subscriptions less refunds")
    cumulative = _money()
    change_percent = _rounded(allow_null=True, help_text="Against the bucket before; null when it had none")


class RevenueTrendTotalsSerializer(serializers.Serializer):
    revenue = _money()
    previous_period = _money()
    change_percent = _rounded(allow_null=True)


class AnalyticsRevenueTrendsSerializer(AnalyticsPeriodFieldsSerializer):
    currency = serializers.CharField()
    totals = RevenueTrendTotalsSerializer()
    series = RevenueTrendBucketSerializer(many=True)


class PaymentMethodSerializer(serializers.Serializer):
    method = serializers.CharField()
    # A declared field: DRF's serializer metaclass takes it off the class, so `Field.label` is not touched.
    label = serializers.CharField()  # type: ignore[assignment]
    provider = serializers.CharField()
    payments = serializers.IntegerField(help_text="Succeeded")
    failed = serializers.IntegerField()
    amount = _money()
    share = _rounded(help_text="Percent of the amount paid")
    success_rate = _rounded(allow_null=True)
    average_payment = _money(allow_null=True)


class AnalyticsPaymentMethodBreakdownSerializer(AnalyticsPeriodOnlySerializer):
    currency = serializers.CharField()
    total = _money()
    methods = PaymentMethodSerializer(many=True)


class SuccessBandSerializer(serializers.Serializer):
    band = serializers.CharField(help_text="Percent of ended contracts completed")
    freelancers = serializers.IntegerField()


class AnalyticsFreelancerSuccessSerializer(AnalyticsPeriodOnlySerializer):
    freelancers_with_ended_contracts = serializers.IntegerField()
    contracts_ended = serializers.IntegerField(help_text="Completed or cancelled during the period")
    contracts_completed = serializers.IntegerField()
    success_rate = _rounded()
    proposals_submitted = serializers.IntegerField()
    proposals_accepted = serializers.IntegerField()
    proposal_win_rate = _rounded()
    reviews = serializers.IntegerField()
    average_rating = _rounded(allow_null=True)
    rating_distribution = serializers.DictField(child=serializers.IntegerField(), help_text="Stars 1 to 5")
    success_bands = SuccessBandSerializer(many=True)


class AnalyticsHealthSerializer(AnalyticsPeriodOnlySerializer):
    currency = serializers.CharField()
    active_disputes = serializers.IntegerField()
    disputes_opened = serializers.IntegerField()
    contracts_started = serializers.IntegerField()
    dispute_rate = _rounded(help_text="Disputes opened per 100 contracts started")
    refund_rate = _rounded(help_text="Percent of the amount funded that was refunded")
    card_payments_attempted = serializers.IntegerField(help_text="Escrow payments by card, succeeded or refused")
    card_payments_failed = serializers.IntegerField(help_text="Refused by Stripe (declined card, failed check)")
    payment_failure_rate = _rounded()
    held_payouts = serializers.IntegerField(help_text="Releases whose payout is held now")
    held_payout_amount = _money()
    pending_support_tickets = serializers.IntegerField()
    average_response_time_hours = _rounded(allow_null=True)
    open_reconciliation_mismatches = serializers.IntegerField()
    open_fraud_cases = serializers.IntegerField(help_text="Fraud cases waiting for staff (their payouts are held)")
    suspended_accounts = serializers.IntegerField()
    daily_active_users = serializers.IntegerField()
    user_satisfaction_rating = _rounded(allow_null=True)


class EngagementBucketSerializer(serializers.Serializer):
    period = serializers.DateField()
    messages_sent = serializers.IntegerField()
    proposals_submitted = serializers.IntegerField()
    projects_posted = serializers.IntegerField()
    contracts_created = serializers.IntegerField()
    reviews_posted = serializers.IntegerField()
    sign_ins = serializers.IntegerField()


class EngagementTotalsSerializer(serializers.Serializer):
    messages_sent = serializers.IntegerField()
    proposals_submitted = serializers.IntegerField()
    projects_posted = serializers.IntegerField()
    contracts_created = serializers.IntegerField()
    reviews_posted = serializers.IntegerField()
    sign_ins = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="Signed in during the period")
    daily_active_users = serializers.IntegerField()
    monthly_active_users = serializers.IntegerField()
    stickiness = _rounded(help_text="Daily over monthly active users, percent")
    active_chats = serializers.IntegerField()
    messages_per_active_chat = _rounded()
    messages_per_active_user = _rounded()


class AnalyticsEngagementSerializer(AnalyticsPeriodFieldsSerializer):
    totals = EngagementTotalsSerializer()
    series = EngagementBucketSerializer(many=True)
