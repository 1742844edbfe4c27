# Data stage: ingest, screening, and the merge with archival data.


rule ingest:
    conda:
        ENV
    threads: rule_threads("ingest")
    resources:
        mem_mb=rule_mem_mb("ingest"),
        runtime=rule_runtime("ingest"),
    input:
        survey=config["survey"],
        codebook=config["codebook"],
    output:
        data="data/processed/survey_ingested.csv",
        report="data/processed/ingest_report.json",
        columns="data/processed/ingest_columns.csv",
        out_of_range="data/processed/ingest_out_of_range.csv",
        out_of_range_counts="data/processed/ingest_out_of_range_counts.csv",
        personal="data/processed/ingest_personal_data.csv",
    params:
        salt_file=config.get("salt_file"),
    log:
        "logs/ingest.log",
    shell:
        "python -m leanlearn ingest --survey {input.survey} --codebook {input.codebook} --config results/config.yaml "
        "--out data/processed > {log} 2>&1"


rule screen:
    conda:
        ENV
    threads: rule_threads("screen")
    resources:
        mem_mb=rule_mem_mb("screen"),
        runtime=rule_runtime("screen"),
    input:
        data=rules.ingest.output.data,
        codebook=config["codebook"],
    output:
        flow="results/screening/flow.csv",
        exclusions="results/screening/exclusions.csv",
        flags="results/screening/flags.csv",
        flagged_kept="results/screening/flagged_kept.csv",
        thresholds="results/screening/screening_thresholds.csv",
        notes="results/screening/screening_notes.csv",
        missing_items="results/screening/missingness_items.csv",
        missing_cases="results/screening/missingness_cases.csv",
        mcar="results/screening/little_mcar.csv",
        treatment="results/screening/missing_treatment.csv",
        clean="data/processed/survey_clean.csv",
        untreated="data/processed/survey_kept_untreated.csv",
    params:
        screening=config.get("screening"),
        missing=config.get("missing"),
    log:
        "logs/screen.log",
    shell:
        "python -m leanlearn screen {input.data} --codebook {input.codebook} --config results/config.yaml "
        "--out results/screening --clean {output.clean} --untreated {output.untreated} > {log} 2>&1"


if HAS_ARCHIVAL:

    rule merge:
        conda:
            ENV
        threads: rule_threads("merge")
        resources:
            mem_mb=rule_mem_mb("merge"),
            runtime=rule_runtime("merge"),
        input:
            survey=rules.screen.output.clean,
            archival=config["archival"],
            frame=config["sampling_frame"] if HAS_FRAME else [],
        output:
            merged="data/processed/analysis.csv",
            unmatched="results/screening/unmatched_firms.csv",
            report="results/screening/merge_report.csv",
        params:
            merge=config.get("archival_merge"),
            frame=f"--frame {config['sampling_frame']}" if HAS_FRAME else "",
        log:
            "logs/merge.log",
        shell:
            "python -m leanlearn merge --survey {input.survey} --archival {input.archival} {params.frame} "
            "--config results/config.yaml --out results/screening --merged {output.merged} > {log} 2>&1"
