"""Each donor's posted giving (total and last gift's day), kept on the donor by the database.

Frozen, as the other rules migrations are: a tenant schema migrated later must get exactly this
SQL, so a change to these rules is a new migration carrying its own.
"""

from django.db import migrations

FORWARD = """-- A donor's giving_total and giving_last_on are what its posted gifts add up to. Whatever writes
-- (a service, a merge moving gifts, an import, raw SQL), they cannot drift: any update of a
-- donor recomputes them from its gifts (so a donor saved with values read before a gift was
-- posted keeps the right ones), and any change to a gift that counts touches its donor (both
-- donors when a gift moves). The search path is pinned to the tenant's schema.

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

CREATE TRIGGER donor_giving_computed
    BEFORE UPDATE ON donors_donor
    FOR EACH ROW EXECUTE FUNCTION donations_donor_giving_compute();

CREATE OR REPLACE FUNCTION donations_gift_donor_giving_touch() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.donor_id = NEW.donor_id AND OLD.state = NEW.state
       AND OLD.amount = NEW.amount AND OLD.received_on = NEW.received_on THEN
        RETURN NULL;  -- nothing that counts changed
    END IF;
    IF TG_OP = 'INSERT' AND NEW.state <> 'posted' THEN
        RETURN NULL;  -- a new draft counts for nothing yet
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE donors_donor SET giving_total = giving_total WHERE id = OLD.donor_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.donor_id <> OLD.donor_id) THEN
        UPDATE donors_donor SET giving_total = giving_total WHERE id = NEW.donor_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER gift_donor_giving_touched
    AFTER INSERT OR DELETE OR UPDATE OF donor_id, state, amount, received_on ON donations_gift
    FOR EACH ROW EXECUTE FUNCTION donations_gift_donor_giving_touch();

-- The donors that gave before this migration: computed once, by the trigger above.
UPDATE donors_donor d SET giving_total = giving_total
 WHERE EXISTS (SELECT 1 FROM donations_gift g WHERE g.donor_id = d.id AND g.state = 'posted');
"""

REVERSE = (
    "DROP TRIGGER gift_donor_giving_touched ON donations_gift;"
    "DROP FUNCTION donations_gift_donor_giving_touch();"
    "DROP TRIGGER donor_giving_computed ON donors_donor;"
    "DROP FUNCTION donations_donor_giving_compute();"
)


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0007_gift_void"),
        ("donors", "0004_donor_giving_totals"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
