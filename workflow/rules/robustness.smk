# Robustness: multiverse, PLSpredict, endogeneity, groups (MICOM/MGA), CB-SEM, Monte Carlo power,
# and the higher-order variant of the model (robustness.higher_order).


rule multiverse:
    conda:
        ENV
    threads: rule_threads("multiverse")
    resources:
        mem_mb=rule_mem_mb("multiverse"),
        runtime=rule_runtime("multiverse"),
    input:
        ingested=rules.ingest.output.data,
        flags=rules.screen.output.flags,
        archival=config["archival"] if HAS_ARCHIVAL else [],
        model=config["model"],
        codebook=config["codebook"],
    output:
        verdicts="results/robustness/multiverse.csv",
        stability="results/robustness/multiverse_stability.csv",
        paths="results/robustness/multiverse_paths.csv",
        skipped="results/robustness/multiverse_skipped.csv",
        sensitivity="results/screening/sensitivity_paths.csv",
    params:
        hypotheses=config.get("hypotheses"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        missing=config.get("missing"),
        merge=config.get("archival_merge"),
        robustness=config.get("robustness"),
        inference=config.get("inference"),
        seed=config["seed"],
        archival=f"--archival {config['archival']}" if HAS_ARCHIVAL else "",
    log:
        "logs/multiverse.log",
    shell:
        "python -m leanlearn multiverse {input.ingested} {input.model} --flags {input.flags} {params.archival} "
        "--codebook {input.codebook} --config results/config.yaml --out results/robustness "
        "--sensitivity {output.sensitivity} --workers {threads} > {log} 2>&1"


rule predict:
    conda:
        ENV
    threads: rule_threads("predict")
    resources:
        mem_mb=rule_mem_mb("predict"),
        runtime=rule_runtime("predict"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        indicators="results/robustness/predict/predict_items.csv",
        summary="results/robustness/predict/predict_summary.csv",
        cases="results/robustness/predict/predict_cases.csv",
        constructs="results/robustness/predict/predict_constructs.csv",
        pairs="results/robustness/predict/predict_pairs.csv",
        verdicts="results/robustness/predict/predict_verdicts.csv",
        notes="results/robustness/predict/notes.txt",
        excluded="results/robustness/predict/excluded_cases.csv",
        settings="results/robustness/predict/predict_settings.json",
    params:
        predict=ROBUST.get("predict"),
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        seed=config["seed"],
    log:
        "logs/predict.log",
    shell:
        "python -m leanlearn predict {input.data} {input.model} --config results/config.yaml "
        "--out results/robustness/predict --seed {params.seed} > {log} 2>&1"


rule endogeneity:
    conda:
        ENV
    threads: rule_threads("endogeneity")
    resources:
        mem_mb=rule_mem_mb("endogeneity"),
        runtime=rule_runtime("endogeneity"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        copula="results/robustness/endogeneity/copula.csv",
        coefficients="results/robustness/endogeneity/copula_coefficients.csv",
        excluded="results/robustness/endogeneity/excluded_cases.csv",
        normality="results/robustness/endogeneity/normality.csv",
        preconditions="results/robustness/endogeneity/preconditions.csv",
        summary="results/robustness/endogeneity/copula_summary.csv",
        notes="results/robustness/endogeneity/notes.txt",
        settings="results/robustness/endogeneity/settings.json",
    params:
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        resamples=ROBUST.get("copula_resamples", 2000),
        max_vif=ROBUST.get("copula_max_vif"),
        seed=config["seed"],
    log:
        "logs/endogeneity.log",
    shell:
        "python -m leanlearn endogeneity {input.data} {input.model} --config results/config.yaml "
        "--out results/robustness/endogeneity --resamples {params.resamples} --seed {params.seed} > {log} 2>&1"


rule groups:
    conda:
        ENV
    threads: rule_threads("groups")
    resources:
        mem_mb=rule_mem_mb("groups"),
        runtime=rule_runtime("groups"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        # the file set depends on the grouping (e.g. <column>_sizes.csv): the whole folder
        directory("results/robustness/groups"),
    params:
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        groups=ROBUST.get("groups"),
        mga_parameters=ROBUST.get("mga_parameters"),
        mga_p_adjust=ROBUST.get("mga_p_adjust"),
        mga_methods=ROBUST.get("mga_methods"),
        mga_resamples=ROBUST.get("mga_resamples"),
        permutations=ROBUST.get("micom_permutations", 5000),
        seed=config["seed"],
    log:
        "logs/groups.log",
    shell:
        "python -m leanlearn groups {input.data} {input.model} --config results/config.yaml "
        "--out {output} "
        "--permutations {params.permutations} --seed {params.seed} > {log} 2>&1"


rule cbsem:
    conda:
        ENV
    threads: rule_threads("cbsem")
    resources:
        mem_mb=rule_mem_mb("cbsem"),
        runtime=rule_runtime("cbsem"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        paths="results/robustness/cbsem/cbsem_paths.csv",
        fit="results/robustness/cbsem/cbsem_fit.csv",
        compare="results/robustness/cbsem/pls_plsc_cbsem_paths.csv",
        status="results/robustness/cbsem/cbsem_status.csv",
        settings="results/robustness/cbsem/settings.json",
    params:
        controls=config.get("controls"),
        estimation=config.get("estimation"),
        thresholds=ROBUST.get("cfa"),
    log:
        "logs/cbsem.log",
    shell:
        "python -m leanlearn cbsem {input.data} {input.model} --config results/config.yaml "
        "--out results/robustness/cbsem > {log} 2>&1"


rule power_replicate:
    conda:
        ENV
    threads: rule_threads("power_replicate")
    resources:
        mem_mb=rule_mem_mb("power_replicate"),
        runtime=rule_runtime("power_replicate"),
    input:
        data=ANALYSIS,
        model=config["model"],
    output:
        "results/robustness/power/replications/n{n}_block{block}.csv",
    params:
        estimation=config.get("estimation"),
        controls=config.get("controls"),
        hypotheses=config.get("hypotheses"),
        power=POWER,
        seed=config["seed"],
        replications=POWER.get("replications_per_block", 500),
    log:
        "logs/power/n{n}_block{block}.log",
    shell:
        "python -m leanlearn power replicate {input.data} --model {input.model} --n {wildcards.n} "
        "--block {wildcards.block} --replications {params.replications} --seed {params.seed} "
        "--config results/config.yaml --out {output} > {log} 2>&1"


rule power:
    conda:
        ENV
    threads: rule_threads("power")
    resources:
        mem_mb=rule_mem_mb("power"),
        runtime=rule_runtime("power"),
    input:
        replications=expand("results/robustness/power/replications/n{n}_block{block}.csv", n=N_GRID, block=BLOCKS),
    output:
        power="results/robustness/power/power.csv",
        minimum_n="results/robustness/power/minimum_n.csv",
        coincident="results/robustness/power/coincident_tests.csv",
        notes="results/robustness/power/notes.txt",
        settings="results/robustness/power/settings.json",
        replications="results/robustness/power/replications.csv",
    params:
        target=POWER.get("target_power", 0.8),
    log:
        "logs/power/summarize.log",
    shell:
        "python -m leanlearn power summarize --out results/robustness/power --config results/config.yaml "
        "{input.replications} > {log} 2>&1"


# The higher-order variant (robustness.higher_order; docs/higher_order.md): hoc_model estimated with
# its higher-order constructs and bootstrapped (both stages redone in every resample), on the
# analysis data or on items simulated from the lean study's population with LP bundles.
rule hoc_data:
    conda:
        ENV
    threads: rule_threads("hoc_data")
    resources:
        mem_mb=rule_mem_mb("hoc_data"),
        runtime=rule_runtime("hoc_data"),
    output:
        "data/processed/hoc_simulated_items.csv",
    params:
        n=HOC["n"],
        seed=config["seed"],
    log:
        "logs/hoc_data.log",
    shell:
        "python -m leanlearn simulate --items {output} --lp-bundles --n-clean {params.n} --seed {params.seed} > {log} 2>&1"


rule higher_order:
    conda:
        ENV
    threads: rule_threads("higher_order")
    resources:
        mem_mb=rule_mem_mb("higher_order"),
        runtime=rule_runtime("higher_order"),
    input:
        data=rules.hoc_data.output[0] if HOC["data"] == "simulated_bundles" else ANALYSIS,
        model=config.get("hoc_model") or [],
    output:
        # the tables of `leanlearn estimate --hoc` (their set depends on the model: interaction
        # and mediation tables), among them paths.csv and hoc_*.csv: the whole folder
        directory("results/robustness/higher_order"),
    params:
        method=HOC["method"],
        resamples=HOC["resamples"],
        estimation=config.get("estimation"),
        options=" ".join(
            [f"--scheme {config['estimation']['scheme']}", f"--interaction {config['estimation']['interaction']}",
             f"--max-iterations {config['estimation']['max_iterations']}"]
            + (["--consistent"] if config["estimation"].get("consistent") else [])
        ),
        seed=config["seed"],
    log:
        "logs/higher_order.log",
    shell:
        "python -m leanlearn estimate {input.data} {input.model} --out {output} "
        "--hoc {params.method} --resamples {params.resamples} --seed {params.seed} --workers {threads} "
        "{params.options} > {log} 2>&1"
