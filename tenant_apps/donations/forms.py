"""The form of what receipts say about the organization, shared by the receipt settings page
(/receipts/settings/) and the organization settings page (/settings/organization/): both save
the one settings row through receipt_settings_update, so both ask for it in the same words."""

from __future__ import annotations

from django import forms


class ReceiptOrganizationForm(forms.Form):
    """The organization as every receipt names it. Only the fields it holds are saved, so a
    page that shows it leaves the other receipt settings as they are."""

    legal_name = forms.CharField(
        label="Legal name",
        max_length=200,
        required=False,
        help_text="As registered with the IRS; every receipt names the organization by it.",
    )
    ein = forms.CharField(
        label="EIN",
        max_length=10,
        required=False,
        help_text="The Employer Identification Number, written NN-NNNNNNN.",
    )
    address = forms.CharField(
        label="Mailing address",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One line per line of the address; receipts print it under the name.",
    )
    signatory_name = forms.CharField(label="Signer's name", max_length=200, required=False)
    signatory_title = forms.CharField(
        label="Signer's title",
        max_length=200,
        required=False,
        help_text="As Executive Director.",
    )
    footer = forms.CharField(
        label="Closing paragraph",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on every receipt after the IRS statements: your tax-exempt status "
        "(a 501(c)(3) organization) or a word of thanks.",
    )
