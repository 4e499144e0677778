import nativeio as izeju_funkcijas
import board as mana_plate
from time import sleep
if __name__ == "__main__":
    ledenes_izeja = izeju_funkcijas.DigitalInOut(mana_plate.D13)
    ledenes_izeja.switch_to_output()
    for i in range(10):
        ledenes_izeja.value = True
        sleep(0.5)
        ledenes_izeja.value = False
        sleep(0.5)
    ledenes_izeja.deinit()
    print ("Programma main.py ir izpildīta")
