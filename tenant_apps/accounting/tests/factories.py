import factory

from tenant_apps.accounting.models import Account, AccountType, Fund, NormalBalance, Restriction


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    code = factory.Sequence(lambda number: f"9{number:04d}")
    name = factory.Sequence(lambda number: f"Test account {number}")
    type = AccountType.EXPENSE
    normal_balance = NormalBalance.DEBIT


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    code = factory.Sequence(lambda number: f"F{number:03d}")
    name = factory.Sequence(lambda number: f"Test fund {number}")
    restriction = Restriction.WITHOUT
