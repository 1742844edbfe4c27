# Post-estimation analyses, each behind its switch in the config (robustness.ipma / .nca /
# .cvpat / .fimix, `enabled: true`; all off by default): the importance-performance map (and
# the cIPMA when NCA runs too), necessary condition analysis of every structural path, the
# cross-validated predictive ability test and FIMIX-PLS segmentation. docs/ipma.md,
# docs/nca.md, docs/cvpat.md, docs/fimix.md.

from leanlearn.robustness.nca import model_pairs
from leanlearn.spec.model import parse_model

IPMA_CFG = ROBUST.get("ipma") or {}
NCA_CFG = ROBUST.get("nca") or {}
CVPAT_CFG = ROBUST.get("cvpat") or {}
FIMIX_CFG = ROBUST.get("fimix") or {}
IPMA_ON = bool(IPMA_CFG.get("enabled", False))
NCA_ON = bool(NCA_CFG.get("enabled", False))
CVPAT_ON = bool(CVPAT_CFG.get("enabled", False))
FIMIX_ON = bool(FIMIX_CFG.get("enabled", False))
ANALYSIS_STEPS = [step for step, on in (("ipma", IPMA_ON), ("nca", NCA_ON), ("cvpat", CVPAT_ON), ("fimix", FIMIX_ON)) if on]
# one scatter per structural path (interaction terms left out), as the nca verb draws them
try:
    NCA_PAIRS = model_pairs(parse_model(Path(config["model"]).read_text(encoding="utf-8"))) if NCA_ON else []
except SpecError as exc:
    raise WorkflowError(f"{config['model']}: {exc}") from None
NCA_FIGURES = [f"results/robustness/nca_figures/nca_{s}_{t}.{ext}" for s, t in NCA_PAIRS for ext in ("png", "svg")]


rule ipma:
    conda:
        ENV
    threads: rule_threads("ipma")
    resources:
        mem_mb=rule_mem_mb("ipma"),
        runtime=rule_runtime("ipma"),
    input:
        data=ANALYSIS,
        model=config["model"],
        codebook=config["codebook"],
    output:
        constructs="results/robustness/ipma/ipma_constructs.csv",
        indicators="results/robustness/ipma/ipma_indicators.csv",
        scales="results/robustness/ipma/ipma_scales.csv",
        paths="results/robustness/ipma/ipma_paths.csv",
        combined=["results/robustness/ipma/ipma_combined.csv"] if NCA_ON else [],
        notes="results/robustness/ipma/notes.txt",
        settings="results/robustness/ipma/ipma_settings.json",
        figures=expand(
            "results/robustness/ipma_figures/{name}.{ext}",
            name=["ipma_map", "cipma_map"] if NCA_ON else ["ipma_map"],
            ext=["png", "svg"],
        ),
    params:
        ipma=IPMA_CFG,
        nca=NCA_CFG,
        estimation=config.get("estimation"),
        seed=config["seed"],
    log:
        "logs/ipma.log",
    shell:
        "python -m leanlearn ipma {input.data} {input.model} --config results/config.yaml --codebook {input.codebook} "
        "--main-effects --out results/robustness/ipma --figures results/robustness/ipma_figures > {log} 2>&1"


rule nca:
    conda:
        ENV
    threads: rule_threads("nca")
    resources:
        mem_mb=rule_mem_mb("nca"),
        runtime=rule_runtime("nca"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        effects="results/robustness/nca/nca.csv",
        bottleneck="results/robustness/nca/nca_bottleneck.csv",
        details="results/robustness/nca/nca_details.csv",
        notes="results/robustness/nca/notes.txt",
        settings="results/robustness/nca/nca_settings.json",
        figures=NCA_FIGURES,
    params:
        nca=NCA_CFG,
        estimation=config.get("estimation"),
        seed=config["seed"],
    log:
        "logs/nca.log",
    shell:
        "python -m leanlearn nca {input.data} {input.model} --config results/config.yaml --out results/robustness/nca "
        "--figures results/robustness/nca_figures > {log} 2>&1"


rule cvpat:
    conda:
        ENV
    threads: rule_threads("cvpat")
    resources:
        mem_mb=rule_mem_mb("cvpat"),
        runtime=rule_runtime("cvpat"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        table="results/robustness/cvpat/cvpat.csv",
        details="results/robustness/cvpat/cvpat_details.csv",
        losses="results/robustness/cvpat/cvpat_losses.csv",
        notes="results/robustness/cvpat/notes.txt",
        settings="results/robustness/cvpat/cvpat_settings.json",
    params:
        cvpat=CVPAT_CFG,
        estimation=config.get("estimation"),
        seed=config["seed"],
    log:
        "logs/cvpat.log",
    shell:
        "python -m leanlearn cvpat {input.data} {input.model} --config results/config.yaml --out results/robustness/cvpat "
        "> {log} 2>&1"


rule fimix:
    conda:
        ENV
    threads: rule_threads("fimix")
    resources:
        mem_mb=rule_mem_mb("fimix"),
        runtime=rule_runtime("fimix"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        fit="results/robustness/fimix/fimix_fit.csv",
        paths="results/robustness/fimix/fimix_paths.csv",
        membership="results/robustness/fimix/fimix_membership.csv",
        notes="results/robustness/fimix/notes.txt",
        settings="results/robustness/fimix/fimix_settings.json",
    params:
        fimix=FIMIX_CFG,
        estimation=config.get("estimation"),
        seed=config["seed"],
    log:
        "logs/fimix.log",
    shell:
        "python -m leanlearn fimix {input.data} {input.model} --config results/config.yaml --out results/robustness/fimix "
        "> {log} 2>&1"
