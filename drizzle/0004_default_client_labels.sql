-- Every workspace starts with the labels the advisor seed names (prospecto / consumidor / afiliado),
-- whatever creates it (API, CLI, first start). They can be renamed, recolored or removed afterwards.
CREATE OR REPLACE FUNCTION client_labels_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO client_labels (workspace_id, key, name, color, position) VALUES
    (NEW.id, 'prospect', 'Prospect', 'yellow', 0),
    (NEW.id, 'customer', 'Customer', 'green', 1),
    (NEW.id, 'affiliate', 'Affiliate', 'violet', 2);
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER workspaces_default_client_labels AFTER INSERT ON workspaces
  FOR EACH ROW EXECUTE FUNCTION client_labels_defaults();
--> statement-breakpoint
INSERT INTO client_labels (workspace_id, key, name, color, position)
SELECT w.id, d.key, d.name, d.color, d.position
FROM workspaces w
CROSS JOIN (VALUES ('prospect', 'Prospect', 'yellow', 0), ('customer', 'Customer', 'green', 1), ('affiliate', 'Affiliate', 'violet', 2))
  AS d(key, name, color, position)
ON CONFLICT DO NOTHING;
