/**
 * Tags and descriptions that can be edited: a key/value table whose Delete asks for a second
 * click (a confirmation that needs no JS), a form to set a tag, and a Markdown description with
 * its edit form. Used by the run page and the experiment page.
 */
import type { VNode } from "preact";
import type { Tag } from "../../src/model.ts";
import { Markdown } from "./markdown.tsx";

/** Delete behind a confirmation: the first click opens it, the second deletes. */
export function ConfirmDelete(
  { action, fields, what }: { action: string; fields: Record<string, string>; what: string },
): VNode {
  return (
    <details class="confirm">
      <summary class="copy danger" aria-label={`Delete ${what}`}>Delete</summary>
      <form class="inline" method="post" action={action}>
        {Object.entries(fields).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />)}
        <span class="small">Delete {what}?</span>
        <button type="submit" class="copy danger">Yes, delete</button>
      </form>
    </details>
  );
}

/** Props of TagsEditor. */
export interface TagsEditorProps {
  tags: Tag[];
  /** Form actions: set a tag, delete one (the key is posted as `key`). */
  setAction: string;
  deleteAction: string;
  /** Whether a tag can be deleted here (system tags cannot). */
  deletable: (key: string) => boolean;
  id?: string;
}

/** A tags table with delete confirmations and a form to set one. */
export function TagsEditor(p: TagsEditorProps): VNode {
  return (
    <div>
      {p.tags.length > 0
        ? (
          <table class="kv" id={p.id}>
            <tbody>
              {p.tags.map((t) => (
                <tr key={t.key}>
                  <th scope="row">{t.key}</th>
                  <td>{t.value}</td>
                  <td class="act">
                    {p.deletable(t.key) && (
                      <ConfirmDelete
                        action={p.deleteAction}
                        fields={{ key: t.key }}
                        what={`tag ${t.key}`}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
        : <p class="muted">No tags.</p>}
      <form class="inline" method="post" action={p.setAction}>
        <input name="key" placeholder="Key" aria-label="Tag key" required />
        <input name="value" placeholder="Value" aria-label="Tag value" />
        <button type="submit">Set tag</button>
      </form>
    </div>
  );
}

/** A Markdown description and the form that edits it (MLflow's `mlflow.note.content`). */
export function Description(
  { text, action, empty = "No description." }: { text: string; action: string; empty?: string },
): VNode {
  return (
    <div class="description">
      {text ? <Markdown text={text} /> : <p class="muted">{empty}</p>}
      <details>
        <summary>Edit description</summary>
        <form method="post" action={action}>
          <textarea name="text" rows={6} class="wide" aria-label="Description (Markdown)">
            {text}
          </textarea>
          <button type="submit">Save description</button>
        </form>
      </details>
    </div>
  );
}
