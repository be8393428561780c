package parley.openapi;

import parley.Api;

import java.util.ArrayList;
import java.util.List;

/**
 * The contract check over a whole test class, run by {@link parley.TestParley} after each class when the build is
 * started with {@code -Dparley.contract=all}: every exchange the class made through {@link Api} is validated
 * against the OpenAPI document, and the class fails with the route and the validator's message for each one that
 * breaks it. Off by default: ContractTest covers every operation on every build; this widens the check to all the
 * conversations of the suite, refusals of every kind included.
 */
public final class ContractCheck {

  public static final String PROPERTY = "parley.contract";

  private ContractCheck() {
  }

  public static boolean enabled() {
    return "all".equals(System.getProperty(PROPERTY));
  }

  /** Forgets what earlier classes exchanged. */
  public static void start() {
    Api.drainExchanges();
  }

  /** Validates what this class exchanged; an AssertionError lists every exchange that breaks the contract. */
  public static void finish(String testClass) throws Exception {
    List<Api.Exchange> exchanges = Api.drainExchanges();
    List<String> violations = new ArrayList<>();
    try (Contract contract = Contract.load()) {
      for (Api.Exchange exchange : exchanges) {
        String violation = contract.violation(exchange);
        if (violation != null) violations.add(violation);
      }
    }
    if (!violations.isEmpty()) {
      throw new AssertionError(testClass + ": " + violations.size() + " of " + exchanges.size()
          + " exchanges break src/main/resources/openapi.yaml:\n  " + String.join("\n  ", violations));
    }
  }
}
