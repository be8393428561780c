package parley.comment;

import parley.http.Fields;

/**
 * A validated comment body (and, when creating, the comment it replies to). The Markdown is rendered in the write's
 * transaction, where its mentions are looked up.
 */
public record CommentInput(String body, Long parentId) {

  static final int MAX_BODY = 10_000;

  public static CommentInput forCreate(Fields fields) {
    String body = fields.text("body", 1, MAX_BODY, false);
    Long parentId = fields.optionalId("parentId");
    fields.check();
    return new CommentInput(body, parentId);
  }

  static CommentInput forEdit(Fields fields) {
    String body = fields.text("body", 1, MAX_BODY, false);
    fields.check();
    return new CommentInput(body, null);
  }
}
