"""A product's required documents (申报资料, docs/products.md "Required documents").

A document is present when an attachment of the record carries its code (`doc` in the attachment's
reference, set by the checklist's upload on the record screen). A workflow does not enter a step
while a document the product requires at that step is missing (core/workflow/moves.py), so the
check holds for every way a record moves: the screens, the API, automatic steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from metadata.model import Entity, Field, Metadata, text_of
from metadata.product import RequiredDocument

from .errors import ValidationError, msg
from .products import product_of


@dataclass(frozen=True)
class DocumentStatus:
    document: RequiredDocument
    files: tuple[dict, ...]          # the attachments tagged with the document's code

    @property
    def present(self) -> bool:
        return bool(self.files)


def attachment_fields(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if f.type == "attachment"]


def upload_field(entity: Entity) -> Field | None:
    """Where the checklist's uploads go: the entity's first attachment field."""
    return next(iter(attachment_fields(entity)), None)


def checklist(meta: Metadata, entity: str, values: Mapping) -> list[DocumentStatus]:
    """The record's product's documents with the attachments that satisfy each; [] without a product."""
    product = product_of(meta, entity, values)
    if product is None or not product.documents:
        return []
    refs = [r for f in attachment_fields(meta.entity(entity)) for r in values.get(f.name) or ()]
    return [DocumentStatus(d, tuple(r for r in refs if r.get("doc") == d.code)) for d in product.documents]


def check_step(meta: Metadata, entity: str, load_values: Callable[[], Mapping], step: str,
               step_label: Mapping) -> None:
    """Refuse entering `step` while a document required at it is missing (at the upload field).
    The record is read only when some product of the entity requires a document at that step."""
    if not any(d.required_at_step == step for p in meta.kinds.get("products", {}).values()
               if p.entity == entity for d in p.documents):
        return
    missing = [s.document for s in checklist(meta, entity, load_values())
               if s.document.required_at_step == step and not s.present]
    if not missing:
        return
    field = upload_field(meta.entity(entity))
    zh = "、".join(text_of(d.label) for d in missing)
    en = ", ".join(text_of(d.label, "en") for d in missing)
    raise ValidationError({field.name if field else "": [msg(
        f"进入「{text_of(step_label) or step}」前须上传：{zh}",
        f"upload before the step '{text_of(step_label, 'en') or step}': {en}")]})
