"""One factory per model (factory-boy)."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from budgets.models import BudgetPolicy, CustomerHold, LedgerAccount
from casework.models import JoinedReturn, Label, ReviewCase
from core.choices import ApiRole
from core.models import ApiClient, ApiKey
from intake.choices import AttributeType, ReturnStatus
from intake.models import AttributeDefinition, Customer, ReturnRequest
from scoring.choices import Action
from scoring.models import Decision, ModelVersion, PolicyVersion
from scoring.services.decision_hours import decision_hours_add
from webhooks.choices import EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ApiClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiClient
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"client{n}")

    @factory.post_generation
    def key(self, create, extracted, **kwargs):
        """A first key of the role given (`key="reviewer"`), a submitter's by default."""
        if create and extracted is not False and not self.keys.exists():
            ApiKeyFactory(client=self, name="default", role=extracted or ApiRole.SUBMITTER)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key no secret opens (its hash is not a SHA-256 of one); tests that call with a key
    make it with `api_key_create`."""

    class Meta:
        model = ApiKey

    client = factory.SubFactory(ApiClientFactory, key=False)
    name = factory.Sequence(lambda n: f"key{n}")
    role = ApiRole.SUBMITTER
    prefix = "rd_test"
    hash = factory.Sequence(lambda n: f"{n:064d}")


class AttributeDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeDefinition
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"signal_{n}")
    type = AttributeType.NUMBER
    description = "A signal the retailer sends."


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer of a client: `CustomerFactory(client=retailer)`, else of a new client."""

    class Meta:
        model = Customer
        django_get_or_create = ("client", "external_id")

    client = factory.SubFactory(ApiClientFactory)
    external_id = factory.Sequence(lambda n: f"CUST-{n:05d}")


class ReturnRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnRequest
        skip_postgeneration_save = True

    client = factory.SubFactory(ApiClientFactory)
    order_id = factory.Sequence(lambda n: f"ORD-{n:08d}")
    # The return's customer is its client's customer, as intake stores it.
    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))
    order_value = Decimal("120.00")
    product_category = "Electronics"
    payment_method = "Credit Card"
    return_ratio = 0.15
    returns_velocity_30d = 0
    days_since_purchase = 5
    submitted_at = factory.LazyFunction(timezone.now)
    received_at = factory.SelfAttribute("submitted_at")
    payload_hash = factory.Sequence(lambda n: f"{n:064x}")
    status = ReturnStatus.PENDING

    @classmethod
    def _generate(cls, strategy, params):
        # The other way round too: a return of a given customer comes from that customer's
        # client, unless the test says otherwise.
        if "customer" in params and "client" not in params:
            params = {**params, "client": params["customer"].client}
        return super()._generate(strategy, params)

    @factory.post_generation
    def joined_case(obj, create, case, **kwargs):
        """`joined_case=case`: the return joined that open case, as the pipeline records it."""
        if create and case is not None:
            JoinedReturnFactory(case=case, return_request=obj)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    version = factory.Sequence(lambda n: f"m-test-{n}")
    artifact_dir = factory.LazyAttribute(lambda o: o.version)
    artifact_hashes = factory.LazyFunction(dict)
    feature_schema = factory.LazyFunction(dict)
    training_data = "returns_normal.csv"
    training_data_hash = "0" * 64
    code_version = "test"
    metrics = factory.LazyFunction(dict)


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    snapshot = factory.LazyFunction(dict)


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    return_request = factory.SubFactory(ReturnRequestFactory, status=ReturnStatus.IN_REVIEW)
    action = Action.REVIEW
    fraud_probability = 0.3
    probability_used = 0.3
    ood_score = 0.4
    ood_threshold = 0.6
    ood = False
    cost_approve = Decimal("36.00")
    cost_reject = Decimal("140.00")
    cost_review = Decimal("50.00")
    reasons = factory.LazyFunction(
        lambda: [{"code": "uncertain", "text": "a review is cheaper than approving"}]
    )
    contributions = factory.LazyFunction(list)
    booked_loss = Decimal("0.00")
    budget = Decimal("50.00")
    model_version = factory.SubFactory(ModelVersionFactory)
    policy_version = factory.SubFactory(PolicyVersionFactory)
    decided_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        decision = super()._create(model_class, *args, **kwargs)
        decision_hours_add(decisions=[decision])  # counted, as the pipeline counts its own
        return decision


class ReviewCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewCase

    decision = factory.SubFactory(DecisionFactory)
    return_request = factory.LazyAttribute(lambda o: o.decision.return_request)
    priority = Decimal("-14.00")
    reason_codes = factory.LazyAttribute(lambda o: [r["code"] for r in o.decision.reasons])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        case = super()._create(model_class, *args, **kwargs)
        decision_hours_add(
            decisions=[], opened=[(case.decision, case.return_request.is_audit_sample)]
        )
        return case


class JoinedReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JoinedReturn

    case = factory.SubFactory(ReviewCaseFactory)
    return_request = factory.SubFactory(ReturnRequestFactory)


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    return_request = factory.SubFactory(ReturnRequestFactory)
    is_fraud = True
    source = "inspection"
    observed_at = factory.LazyFunction(timezone.now)


class LedgerAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerAccount

    customer = factory.SubFactory(CustomerFactory)


class BudgetPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetPolicy

    scope = "customer"
    key = factory.Sequence(lambda n: f"CUST-{n:05d}")
    amount = Decimal("100.00")


class CustomerHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerHold

    customer = factory.SubFactory(CustomerFactory)
    reason = "test hold"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    client = factory.SubFactory(ApiClientFactory)
    url = "http://127.0.0.1:9/hooks"
    event_types = factory.LazyFunction(lambda: [EventType.DECISION_CREATED])
    secret = factory.Sequence(lambda n: f"whsec_test{n}")


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    event_type = EventType.DECISION_CREATED
    data = factory.LazyFunction(dict)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    event = factory.SubFactory(WebhookEventFactory)
    endpoint = factory.SubFactory(WebhookEndpointFactory)
