#!/bin/bash
# Device call for #12 (NEU): split 1..140 train / 141..170 val / 171..200 test, a brightness- and
# contrast-shifted copy of the test split, and MobileNetV3-Small / EfficientNetV2-S trainings side by
# side on the one GPU. Run from the repository root with .carry/source carried (trainer copy + NEU jpgs).
set -u
C=$PWD/.carry/source
export PYTHONUNBUFFERED=1 PYTHONPATH=$C/trainer PARTPRINT_CARD_SCHEMA=$C/schemas/model-card.schema.json
W=/tmp/w; mkdir -p $W/res; T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a $W/res/timeline.txt; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > $W/res/gpu.txt; nproc >> $W/res/gpu.txt
python3 -c "import torch;print(torch.__version__)" >> $W/res/gpu.txt
python3 -m partprint_trainer.prepare_folder --src $C/neu-det --out /tmp/neu --train 140 --val 30 --test 30 > $W/res/prepare.txt 2>&1
python3 -m partprint_trainer.shift_dataset --src /tmp/neu --out /tmp/neu-shifted > $W/res/shift.txt 2>&1
el data ready
common="--dataset /tmp/neu --arch mobilenet_v3_small --roi-side 160 --input-size 224 --batch-size 32 --val-every 2 --val-rois 16 --workers 3 --extra-test /tmp/neu-shifted --max-seconds ${NEU_SECONDS:-330}"
run() { n=$1; shift; python3 -m partprint_trainer.train --out /tmp/$n --name $n "$@" > $W/res/$n.txt 2>&1; el "$n done rc=$?"; }
run neu-mnv3s-perroi-r8-light $common --norm per-roi --rois-per-part 8 --photometric light --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
run neu-mnv3s-dataset-r8-light $common --norm dataset --rois-per-part 8 --photometric light --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
run neu-mnv3s-perroi-r8-strong $common --norm per-roi --rois-per-part 8 --photometric strong --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
run neu-mnv3s-perroi-r1-plain $common --norm per-roi --rois-per-part 1 --epochs 300 --lr-decay 0.99 &
run neu-v2s-perroi-r8-light ${common/mobilenet_v3_small/efficientnet_v2_s} --norm per-roi --rois-per-part 8 --photometric light --label-smoothing 0.1 --ema 0.998 --epochs 60 --lr-decay 0.95 &
wait
el all done
for d in /tmp/neu-*/; do n=$(basename $d); [ -f $d/model.json ] || continue; mkdir -p $W/res/$n; cp $d/model.json $d/log.jsonl $W/res/$n/; done
cp /tmp/neu-shifted/dataset.json $W/res/neu-shifted-dataset.json
tar -C $W -cJf $OUT/res.tar.xz res
for n in neu-mnv3s-perroi-r8-light neu-mnv3s-dataset-r8-light neu-mnv3s-perroi-r8-strong; do cp /tmp/$n/model.onnx $OUT/$n.onnx 2>/dev/null; done
python3 - <<'PY'
import json, glob, os
for f in sorted(glob.glob('/tmp/w/res/*/model.json')):
    c = json.load(open(f)); m = c['metrics']; x = m.get('extraTests', {}).get('neu-shifted', {})
    print(os.path.basename(os.path.dirname(f)), 'val', m['selection'].get('acc'), 'ep', m['selection'].get('epoch'), 'test', m['test']['accuracy'], '1roi', round(m['test']['singleRoiAccuracy'], 4), 'shifted', x.get('accuracy'), 'ips', c['training']['imagesPerSecond'], 'epochs', c['training'].get('epochsRun'))
PY
