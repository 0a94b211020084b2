// Sends one exception event with @sentry/node (user, tags, contexts, breadcrumbs, request, release)
// to the DSN given as the first argument and prints its event id.
const Sentry = require("@sentry/node");

async function main() {
  Sentry.init({
    dsn: process.argv[2],
    release: "shop-node@2.0.0",
    environment: "production",
    serverName: "node-1",
    sendClientReports: false,
  });
  Sentry.setUser({ id: "7", email: "grace@example.com", username: "grace" });
  Sentry.setTag("customer", "acme");
  Sentry.setContext("order", { id: 12345, total: 99.5 });
  Sentry.addBreadcrumb({ category: "db", message: "SELECT * FROM carts", level: "info" });
  const eventId = Sentry.withScope((scope) => {
    scope.setSDKProcessingMetadata({
      normalizedRequest: {
        url: "https://shop.example.com/checkout?step=2",
        method: "POST",
        headers: { "user-agent": "curl/8.0", accept: "application/json" },
      },
    });
    function checkout(cart) {
      return cart.items.length;
    }
    try {
      checkout({});
    } catch (error) {
      return Sentry.captureException(error);
    }
  });
  await Sentry.flush(10000);
  process.stdout.write(eventId + "\n");
}

main();
