// Package secretname says whether a name (an environment variable's, a
// setting's) says that its value is a credential: the shell guard and the
// SQL classifier judge such names alike.
package secretname

import "strings"

// Is reports whether name says its value holds a credential.
func Is(name string) bool {
	n := strings.ToUpper(name)
	for _, frag := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY",
		"ACCESS_KEY", "CREDENTIAL", "AUTH", "DATABASE_URL", "_DSN", "CONNECTION_STRING", "SESSION_KEY", "_PASS", "WEBHOOK",
		"SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY", "LICENSE_KEY"} {
		if strings.Contains(n, frag) {
			return true
		}
	}
	// Connection strings carry passwords: MONGO_URI, REDIS_URL, AMQP_URL.
	if strings.HasSuffix(n, "_URI") || strings.HasSuffix(n, "_URL") {
		for _, db := range []string{"DB", "DATABASE", "MONGO", "REDIS", "POSTGRES", "PG", "MYSQL", "AMQP", "RABBIT", "KAFKA", "ELASTIC", "CLICKHOUSE"} {
			if strings.Contains(n, db) {
				return true
			}
		}
	}
	// Other services' URLs carry their keys: CLOUDINARY_URL, CELERY_BROKER_URL.
	if strings.HasSuffix(n, "_URL") || strings.HasSuffix(n, "_URI") {
		for _, svc := range []string{"BROKER", "CLOUDINARY", "SMTP", "MAIL", "LDAP", "NATS", "MEMCACHE", "MQ"} {
			if strings.Contains(n, svc) {
				return true
			}
		}
	}
	// A key by any other name (SUPABASE_SERVICE_ROLE_KEY, APP_KEY,
	// AZURE_STORAGE_KEY), unless it says it is public.
	if (strings.HasSuffix(n, "_KEY") || strings.HasSuffix(n, "_KEYS")) && !strings.Contains(n, "PUBLIC") && !strings.Contains(n, "PUBLISHABLE") && !strings.Contains(n, "_PUB_") {
		return true
	}
	// STRIPE_SK, *_SK: a secret key's conventional suffix; MYSQL_PWD.
	return strings.HasSuffix(n, "_SK") || strings.HasSuffix(n, "_PASS") || strings.HasSuffix(n, "_PWD")
}
