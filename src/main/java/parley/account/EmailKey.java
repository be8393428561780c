package parley.account;

import java.text.Normalizer;
import java.util.Locale;

/**
 * What makes two email addresses one account's: the address in Unicode's compatibility form (NFKC: a fullwidth
 * {@code ａ} is {@code a}, a composed {@code é} the same as {@code e} with its accent), in lower case in every
 * script (a final sigma as a sigma). Kept beside the address as typed ({@code users.email_key}, unique), and
 * computed here rather than with PostgreSQL's {@code lower()}, which follows the database's locale: under the C
 * locale of the embedded database it lowers ASCII only, so {@code ÉMILE@x.org} and {@code émile@x.org} were two
 * accounts, and signing in with one did not find the other.
 */
public final class EmailKey {

  private EmailKey() {
  }

  /**
   * The key of an address (null for null). Greek's final sigma is its sigma: lower case writes a capital Σ as ς at a
   * word's end, so ΛΟΓΟΣ@ would not have been λογοσ@ (a probe).
   */
  public static String of(String email) {
    if (email == null) return null;
    String folded = Normalizer.normalize(email, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT).replace('ς', 'σ');
    return Normalizer.normalize(folded, Normalizer.Form.NFKC);
  }
}
