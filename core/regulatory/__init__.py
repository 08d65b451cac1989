"""Company-level regulatory figures and limits (docs/regulatory.md).

Modules: ``config`` (limits, weights and sources from metadata), ``liability`` (the weighted liability
balance in SQL, per customer and related group), ``figures`` (`company_figures`), ``whatif``
(`effect_of_approving`), ``alerts`` (the checks the warning rules read)."""
from .config import RegulatoryConfigError
from .figures import CompanyFigures, company_figures
from .whatif import Effect, effect_of_approving

__all__ = ["CompanyFigures", "Effect", "RegulatoryConfigError", "company_figures", "effect_of_approving"]
