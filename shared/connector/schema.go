package connector

// The configuration schema the service publishes on a connector that has
// none: the fields of Elastic's PostgreSQL connector with their labels,
// types, order and defaults, every property filled in as Elastic's
// connectors service fills them in (its DEFAULT_CONFIGURATION), and the
// password marked sensitive.

// Configuration field names.
const (
	FieldHost       = "host"
	FieldPort       = "port"
	FieldUsername   = "username"
	FieldPassword   = "password"
	FieldDatabase   = "database"
	FieldSchema     = "schema"
	FieldTables     = "tables"
	FieldFetchSize  = "fetch_size"
	FieldRetryCount = "retry_count"
	FieldSSLEnabled = "ssl_enabled"
	FieldSSLCA      = "ssl_ca"
)

// Defaults of Elastic's generic database connector.
const (
	elasticFetchSize  = 50
	elasticRetryCount = 3
)

// field is one configuration field as the connector document holds it.
type field map[string]any

// newField fills in the properties a field leaves out.
func newField(label string, order int, typ string, extra map[string]any) field {
	f := field{
		"default_value": nil, "depends_on": []any{}, "display": "text", "label": label,
		"options": []any{}, "order": order, "placeholder": "", "required": true, "sensitive": false,
		"tooltip": nil, "type": typ, "ui_restrictions": []any{}, "validations": []any{}, "value": "",
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// PostgreSQLSchema returns the configuration schema of the postgresql
// service type.
func PostgreSQLSchema() map[string]any {
	return map[string]any{
		FieldHost:     newField("Host", 1, "str", nil),
		FieldPort:     newField("Port", 2, "int", map[string]any{"display": "numeric"}),
		FieldUsername: newField("Username", 3, "str", nil),
		FieldPassword: newField("Password", 4, "str", map[string]any{"sensitive": true}),
		FieldDatabase: newField("Database", 5, "str", nil),
		FieldSchema:   newField("Schema", 6, "str", nil),
		FieldTables: newField("Comma-separated list of tables", 7, "list", map[string]any{
			"display": "textarea", "value": "*",
			"tooltip": "This configurable field is ignored when Advanced Sync Rules are used."}),
		FieldFetchSize: newField("Rows fetched per request", 8, "int", map[string]any{
			"default_value": elasticFetchSize, "display": "numeric", "required": false,
			"ui_restrictions": []any{"advanced"}}),
		FieldRetryCount: newField("Retries per request", 9, "int", map[string]any{
			"default_value": elasticRetryCount, "display": "numeric", "required": false,
			"ui_restrictions": []any{"advanced"}}),
		FieldSSLEnabled: newField("Enable SSL verification", 10, "bool", map[string]any{
			"display": "toggle", "value": false}),
		FieldSSLCA: newField("SSL certificate", 11, "str", map[string]any{
			"depends_on": []any{map[string]any{"field": FieldSSLEnabled, "value": true}}}),
	}
}
