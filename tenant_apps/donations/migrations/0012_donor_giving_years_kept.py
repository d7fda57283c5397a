"""Each donor's posted giving by fiscal year (DonorGivingYear, 0010), kept by the database.

Frozen, as the other rules migrations are: a tenant schema migrated later must get exactly this
SQL, so a change to these rules is a new migration carrying its own.
"""

from django.db import migrations

FORWARD = """-- A donor's rows in donations_donorgivingyear are what its posted gifts add up to in each fiscal
-- year. They are computed where the donor's lifetime total is (0008): every update of a donor
-- recomputes them from its gifts, and every change to a gift that counts updates its donor
-- (both donors when a gift moves). That update locks the donor's row first, so two
-- transactions posting gifts of one donor compute one after the other, each from the gifts
-- the other committed.

-- The fiscal year a day falls in, named after the calendar year it ends in
-- (accounting.selectors.fiscal_year_of).
CREATE OR REPLACE FUNCTION donations_fiscal_year_of(day date, start_month integer)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN start_month = 1 OR extract(month FROM day) < start_month
                THEN extract(year FROM day)::integer
                ELSE extract(year FROM day)::integer + 1 END
$$;

CREATE OR REPLACE FUNCTION donations_donor_giving_years_compute(donor bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    start_month integer := coalesce(
        (SELECT fiscal_year_start_month FROM accounting_accountingsettings WHERE id = 1), 1);
BEGIN
    DELETE FROM donations_donorgivingyear WHERE donor_id = donor;
    INSERT INTO donations_donorgivingyear (donor_id, fiscal_year, total, gift_count, last_gift_on)
    SELECT donor, donations_fiscal_year_of(g.received_on, start_month),
           sum(g.amount), count(*), max(g.received_on)
      FROM donations_gift g
     WHERE g.donor_id = donor AND g.state = 'posted'
     GROUP BY 2;
END
$$;

CREATE OR REPLACE FUNCTION donations_donor_giving_compute() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT COALESCE(sum(g.amount), 0), max(g.received_on)
      INTO NEW.giving_total, NEW.giving_last_on
      FROM donations_gift g
     WHERE g.donor_id = NEW.id AND g.state = 'posted';
    PERFORM donations_donor_giving_years_compute(NEW.id);
    RETURN NEW;
END
$$;

-- A change of the month fiscal years start in (only allowed before the first posting, but
-- gifts can be loaded before it) files every donor's giving again.
CREATE OR REPLACE FUNCTION donations_fiscal_year_start_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE donors_donor SET giving_total = giving_total WHERE giving_last_on IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER fiscal_year_start_changed
    AFTER UPDATE OF fiscal_year_start_month ON accounting_accountingsettings
    FOR EACH ROW WHEN (OLD.fiscal_year_start_month IS DISTINCT FROM NEW.fiscal_year_start_month)
    EXECUTE FUNCTION donations_fiscal_year_start_changed();

CREATE TRIGGER fiscal_year_start_set
    AFTER INSERT ON accounting_accountingsettings
    FOR EACH ROW WHEN (NEW.fiscal_year_start_month <> 1)
    EXECUTE FUNCTION donations_fiscal_year_start_changed();

-- The donors that gave before this migration: computed once.
SELECT donations_donor_giving_years_compute(d.id)
  FROM donors_donor d
 WHERE d.giving_last_on IS NOT NULL;
"""

REVERSE = """
DROP TRIGGER fiscal_year_start_set ON accounting_accountingsettings;
DROP TRIGGER fiscal_year_start_changed ON accounting_accountingsettings;
DROP FUNCTION donations_fiscal_year_start_changed();
CREATE OR REPLACE FUNCTION donations_donor_giving_compute() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT COALESCE(sum(g.amount), 0), max(g.received_on)
      INTO NEW.giving_total, NEW.giving_last_on
      FROM donations_gift g
     WHERE g.donor_id = NEW.id AND g.state = 'posted';
    RETURN NEW;
END
$$;
DROP FUNCTION donations_donor_giving_years_compute(bigint);
DROP FUNCTION donations_fiscal_year_of(date, integer);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0002_journal"),
        ("donations", "0011_donor_giving_years"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
