;; Rows must be a multiple of 32 bytes (four i64 words per step).
(module
  (memory (export "mem") 1)
  (func (export "nn")
    (param $a i32) (param $na i32) (param $b i32) (param $nb i32) (param $row i32)
    (param $oB i32) (param $oD1 i32) (param $oD2 i32) (param $oA i32) (param $oAD i32)
    (local $i i32) (local $j i32) (local $k i32) (local $pa i32) (local $pb i32)
    (local $d i32) (local $d1 i32) (local $d2 i32) (local $j1 i32) (local $t i32)
    ;; reset the per-B outputs
    (local.set $j (i32.const 0))
    (block $initDone
      (loop $init
        (br_if $initDone (i32.ge_u (local.get $j) (local.get $nb)))
        (i32.store (i32.add (local.get $oAD) (i32.shl (local.get $j) (i32.const 2))) (i32.const 65535))
        (i32.store (i32.add (local.get $oA) (i32.shl (local.get $j) (i32.const 2))) (i32.const -1))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $init)))
    (local.set $i (i32.const 0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $na)))
        (local.set $d1 (i32.const 65535))
        (local.set $d2 (i32.const 65535))
        (local.set $j1 (i32.const -1))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row))))
        (local.set $pb (local.get $b))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $nb)))
            (local.set $d (i32.const 0))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $row)))
                (local.set $d (i32.add (local.get $d)
                  (i32.wrap_i64 (i64.add (i64.add (i64.popcnt (i64.xor
                    (i64.load offset=0 (i32.add (local.get $pa) (local.get $k)))
                    (i64.load offset=0 (i32.add (local.get $pb) (local.get $k))))) (i64.popcnt (i64.xor
                    (i64.load offset=8 (i32.add (local.get $pa) (local.get $k)))
                    (i64.load offset=8 (i32.add (local.get $pb) (local.get $k)))))) (i64.add (i64.popcnt (i64.xor
                    (i64.load offset=16 (i32.add (local.get $pa) (local.get $k)))
                    (i64.load offset=16 (i32.add (local.get $pb) (local.get $k))))) (i64.popcnt (i64.xor
                    (i64.load offset=24 (i32.add (local.get $pa) (local.get $k)))
                    (i64.load offset=24 (i32.add (local.get $pb) (local.get $k))))))))))
                (local.set $k (i32.add (local.get $k) (i32.const 32)))
                (br $kLoop)))
            (if (i32.lt_u (local.get $d) (local.get $d1))
              (then
                (local.set $d2 (local.get $d1))
                (local.set $d1 (local.get $d))
                (local.set $j1 (local.get $j)))
              (else
                (if (i32.lt_u (local.get $d) (local.get $d2)) (then (local.set $d2 (local.get $d))))))
            (local.set $t (i32.add (local.get $oAD) (i32.shl (local.get $j) (i32.const 2))))
            (if (i32.lt_u (local.get $d) (i32.load (local.get $t)))
              (then
                (i32.store (local.get $t) (local.get $d))
                (i32.store (i32.add (local.get $oA) (i32.shl (local.get $j) (i32.const 2))) (local.get $i))))
            (local.set $pb (i32.add (local.get $pb) (local.get $row)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (i32.store (i32.add (local.get $oB) (i32.shl (local.get $i) (i32.const 2))) (local.get $j1))
        (i32.store (i32.add (local.get $oD1) (i32.shl (local.get $i) (i32.const 2))) (local.get $d1))
        (i32.store (i32.add (local.get $oD2) (i32.shl (local.get $i) (i32.const 2))) (local.get $d2))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
  )
)
